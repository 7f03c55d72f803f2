import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditTrail } from '@palisade/audit';
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
    // Discard port: the issuer is down, which must not stop the service starting.
    const service = start({ PORT: '0', HOST: '127.0.0.1', OIDC_ISSUER: 'http://127.0.0.1:9' });
    const url = await service.ready;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    const { stdout, stderr } = service.output();
    // One ready line; the rest of stdout is the audit trail (AUDIT_LOG unset).
    const lines = stdout.trim().split('\n');
    expect(lines.filter((line) => !line.startsWith('{'))).toEqual([expect.stringMatching(/^express-orders ready on http:\/\/127\.0\.0\.1:\d+$/)]);
    expect(lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line).event)).toContain('request');
    expect(stderr).toContain('undeclared route GET /internal/debug');
  });

  it('loses no audit line when stopped by SIGTERM mid-load', async () => {
    const trail = join(tmpdir(), `orders-sigterm-${process.pid}-${Date.now()}.log`);
    const service = start({ PORT: '0', OIDC_ISSUER: 'http://127.0.0.1:9', AUDIT_LOG: trail });
    const url = new URL(await service.ready);
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const answered: string[] = [];
    let killed = false;
    const fire = (n: number) =>
      new Promise<void>((resolve) => {
        const id = `load-${n}`;
        const req = request({ host: url.hostname, port: url.port, path: n % 3 === 0 ? '/nowhere' : '/health', headers: { 'x-request-id': id }, agent }, (res) => {
          res.resume();
          res.on('end', () => {
            answered.push(id);
            if (answered.length === 40 && !killed) {
              killed = true;
              service.child.kill('SIGTERM');
            }
            resolve();
          });
        });
        req.on('error', () => resolve());
        req.end();
      });
    await Promise.all(Array.from({ length: 100 }, (_, n) => fire(n)));
    agent.destroy();
    expect(await service.exited).toBe(0);
    expect(killed).toBe(true);
    const logged = new Set(readFileSync(trail, 'utf8').trim().split('\n').map((line) => JSON.parse(line).requestId));
    expect(answered.length).toBeGreaterThanOrEqual(40);
    for (const id of answered) expect(logged.has(id), id).toBe(true);
    expect((await verifyAuditTrail(trail)).intact).toBe(true);
  });

  it('refuses to start with a clear message when PORT is invalid', async () => {
    const service = start({ PORT: 'eighty', OIDC_ISSUER: 'http://127.0.0.1:9' });
    service.ready.catch(() => {});
    expect(await service.exited).toBe(1);
    expect(service.output().stderr).toMatch(/PORT must be a port number/);
  });

  it('refuses to start without OIDC_ISSUER, saying what to set', async () => {
    const service = start({ PORT: '0', OIDC_ISSUER: '' });
    service.ready.catch(() => {});
    expect(await service.exited).toBe(1);
    expect(service.output().stderr).toMatch(/OIDC_ISSUER is required/);
  });

  it('refuses a plain-http issuer that is not on loopback', async () => {
    const service = start({ PORT: '0', OIDC_ISSUER: 'http://issuer.example' });
    service.ready.catch(() => {});
    expect(await service.exited).toBe(1);
    expect(service.output().stderr).toMatch(/must use https/);
  });
});
