import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyAuditTrail } from '@palisade/audit';
import { describe, expect, it } from 'vitest';
import { requestLines, tempDir } from './support/harness';

const SERVE = fileURLToPath(new URL('./fixtures/serve.ts', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../../../tsconfig.json', import.meta.url));
const REQUESTS = 300;

/**
 * Starts the fixture service, fires REQUESTS requests at once, sends
 * SIGTERM once a quarter of them were answered, and returns the request
 * ids of every response that arrived, with how the process ended.
 */
async function killMidLoad(mode: 'graceful' | 'abrupt'): Promise<{ file: string; answered: string[]; failed: number; exit: { code: number | null; signal: NodeJS.Signals | null } }> {
  const file = join(tempDir(), 'audit.log');
  const child = spawn(process.execPath, ['--import', 'tsx', SERVE, file, mode], { env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const match = /ready (\d+)/.exec(chunk);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', () => reject(new Error('fixture exited before it was ready')));
  });

  const answered: string[] = [];
  let failed = 0;
  let signalled = false;
  await Promise.all(
    Array.from({ length: REQUESTS }, async (_, i) => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/jobs/${i}`, { headers: { 'x-request-id': `load-${i}` } });
        await response.arrayBuffer();
        answered.push(response.headers.get('x-request-id')!);
        if (!signalled && answered.length >= REQUESTS / 4) {
          signalled = true;
          child.kill('SIGTERM');
        }
      } catch {
        failed++;
      }
    }),
  );
  if (!signalled) child.kill('SIGTERM');
  return { file, answered, failed, exit: await exited };
}

describe('no audit line is lost when the service is stopped mid-load', () => {
  it.each(['graceful', 'abrupt'] as const)('%s shutdown: every answered request has its line, and the chain verifies', async (mode) => {
    const { file, answered, exit } = await killMidLoad(mode);
    expect(exit).toEqual(mode === 'graceful' ? { code: 0, signal: null } : { code: null, signal: 'SIGTERM' });
    expect(answered.length).toBeGreaterThanOrEqual(REQUESTS / 4);

    const logged = new Set(requestLines(file).map((line) => line.requestId));
    expect(answered.filter((id) => !logged.has(id))).toEqual([]);
    expect(await verifyAuditTrail(file)).toMatchObject({ intact: true, firstProblem: null });
  });
});
