import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: exampleDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /ready on (http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1]!);
    });
    void exited.then(() => reject(new Error(`exited before ready: ${stderr}`)));
  });
  return { child, ready, exited, output: () => ({ stdout, stderr }) };
}

describe('express-orders process', () => {
  it('prints one ready line, reports the undeclared route, and stops cleanly on SIGTERM', async () => {
    const service = start({ PORT: '0', HOST: '127.0.0.1' });
    const url = await service.ready;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    const { stdout, stderr } = service.output();
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain('undeclared route GET /internal/debug');
  });

  it('refuses to start with a clear message when PORT is invalid', async () => {
    const service = start({ PORT: 'eighty' });
    service.ready.catch(() => {});
    expect(await service.exited).toBe(1);
    expect(service.output().stderr).toMatch(/PORT must be a port number/);
  });
});
