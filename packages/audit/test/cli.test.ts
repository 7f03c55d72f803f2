import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuditTrail } from '@palisade/audit';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './support/harness';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../../../tsconfig.json', import.meta.url));

function palisade(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number((error as { code?: number }).code), stdout, stderr });
    });
  });
}

let intact: string;
let tampered: string;

beforeAll(async () => {
  const dir = tempDir();
  intact = join(dir, 'intact.log');
  const audit = createAuditTrail({ destination: intact, dangerouslyDisableAnomalyDetection: true, handleSignals: false });
  for (let i = 0; i < 5; i++) audit.record({ type: 'tick', n: i });
  await audit.close();
  const lines = readFileSync(intact, 'utf8').split('\n');
  tampered = join(dir, 'tampered.log');
  writeFileSync(tampered, lines.map((line, i) => (i === 3 ? line.replace('"n":2', '"n":9') : line)).join('\n'));
});

describe('palisade audit verify', () => {
  // Each run is a process (about a second under tsx), so one test covers the three exit statuses.
  it('exits 0 for an intact trail, 1 naming the first broken line, 2 on usage errors', async () => {
    const [ok, changed, usage] = await Promise.all([palisade('audit', 'verify', intact), palisade('audit', 'verify', tampered), palisade('audit', 'check', intact)]);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toMatch(/intact, 6 lines; last hash [0-9a-f]{64}/);

    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain(`${tampered}: line 4: hash mismatch`);

    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('unknown command "audit check"');
    expect(usage.stderr).toContain('Usage: palisade audit verify');
  });
});
