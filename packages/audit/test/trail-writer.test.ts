import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditTrailError, createAuditTrail, verifyAuditTrail, type AuditAlert, type AuditTrailOptions } from '@palisade/audit';
import { describe, expect, it, vi } from 'vitest';
import { readLines, tempDir } from './support/harness';

const base: AuditTrailOptions = { dangerouslyDisableAnomalyDetection: true, handleSignals: false };

async function writeTrail(file: string, events: number, options: AuditTrailOptions = {}): Promise<string> {
  const audit = createAuditTrail({ ...base, destination: file, ...options });
  for (let i = 0; i < events; i++) audit.record({ type: 'tick', n: i });
  await audit.close();
  return audit.lastHash;
}

describe('opening a trail file', () => {
  it('starts a new file with a chain_start line linked to the genesis value', async () => {
    const file = join(tempDir(), 'nested', 'dir', 'audit.log');
    await writeTrail(file, 0);
    expect(readLines(file)).toEqual([expect.objectContaining({ event: 'chain_start', prevHash: '0'.repeat(64), pid: process.pid })]);
  });

  it('continues the chain of an existing file across restarts', async () => {
    const file = join(tempDir(), 'audit.log');
    const firstHead = await writeTrail(file, 3);
    await writeTrail(file, 2);
    const lines = readLines(file);
    const resume = lines.find((line) => line.event === 'chain_resume')!;
    expect(resume.prevHash).toBe(firstHead);
    expect(await verifyAuditTrail(file)).toMatchObject({ intact: true, lines: 7, segments: 1 });
  });

  it('after a torn last line (a crash mid-write), restarts the chain from the last good line', async () => {
    const file = join(tempDir(), 'audit.log');
    await writeTrail(file, 3);
    appendFileSync(file, '{"event":"request","requestId":"cut-sh');
    await writeTrail(file, 2);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const restart = JSON.parse(lines[5]!) as Record<string, unknown>;
    expect(restart).toMatchObject({ event: 'chain_restart', broken: 'partial_line', prevHash: JSON.parse(lines[3]!).hash });
    expect(restart.brokenLineSha256).toMatch(/^[0-9a-f]{64}$/);
    // The torn line stays a finding; everything around it still verifies.
    const result = await verifyAuditTrail(file);
    expect(result).toMatchObject({ intact: false, problemCount: 1, firstProblem: { line: 5, kind: 'not_json' } });
  });

  it('after an edited last line, restarts from it and the verifier reports only that line', async () => {
    const file = join(tempDir(), 'audit.log');
    await writeTrail(file, 2);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('"n":1', '"n":7'));
    await writeTrail(file, 1);
    expect(readLines(file)[3]).toMatchObject({ event: 'chain_restart', broken: 'hash_mismatch' });
    expect(await verifyAuditTrail(file)).toMatchObject({ problemCount: 1, firstProblem: { line: 3, kind: 'hash_mismatch' } });
  });

  it('refuses a broken file when asked to, with a clear error', () => {
    const file = join(tempDir(), 'audit.log');
    writeFileSync(file, 'not a trail\n');
    let error: unknown;
    try {
      createAuditTrail({ ...base, destination: file, ifLastLineBroken: 'refuse' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AuditTrailError);
    expect(error).toMatchObject({ code: 'ERR_PALISADE_AUDIT_TRAIL_BROKEN', file });
    expect((error as Error).message).toContain('palisade audit verify');
    expect(readFileSync(file, 'utf8')).toBe('not a trail\n');
  });

  it.skipIf(!existsSync('/dev/full'))('reports a failing disk through onAlert, at most once a minute, and still closes', async () => {
    const alerts: AuditAlert[] = [];
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const audit = createAuditTrail({ ...base, destination: '/dev/full', bufferBytes: 0, onAlert: (alert) => void alerts.push(alert) });
      audit.record({ type: 'lost' });
      audit.flush();
      await audit.close();
      expect(alerts).toEqual([expect.objectContaining({ alert: 'audit_write_failed', detail: expect.stringContaining('ENOSPC') })]);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('cannot write the audit trail'), { code: 'PALISADE_AUDIT_WRITE_FAILED' });
    } finally {
      warn.mockRestore();
    }
  });

  it('fails at start-up when the destination cannot be written', () => {
    const directory = tempDir();
    expect(() => createAuditTrail({ ...base, destination: directory })).toThrow(AuditTrailError);
  });
});

describe('buffering', () => {
  it('buffers lines until flush(), which writes them synchronously', () => {
    const file = join(tempDir(), 'audit.log');
    const audit = createAuditTrail({ ...base, destination: file, flushInterval: '1h' });
    audit.record({ type: 'buffered' });
    expect(readFileSync(file, 'utf8')).toBe('');
    audit.flush();
    expect(readLines(file).map((line) => line.event)).toEqual(['chain_start', 'security']);
    void audit.close();
  });

  it('writes each line at once with bufferBytes 0', () => {
    const file = join(tempDir(), 'audit.log');
    const audit = createAuditTrail({ ...base, destination: file, bufferBytes: 0 });
    audit.record({ type: 'direct' });
    expect(readLines(file)).toHaveLength(2);
    void audit.close();
  });

  it('writes buffered lines every flushInterval', async () => {
    const file = join(tempDir(), 'audit.log');
    const audit = createAuditTrail({ ...base, destination: file, flushInterval: '20ms' });
    audit.record({ type: 'later' });
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(readLines(file)).toHaveLength(2);
    await audit.close();
  });

  it('flushes when the process dies of an uncaught exception, records it, and still dies of it', async () => {
    const { spawnSync } = await import('node:child_process');
    const dir = tempDir();
    const quiet = join(dir, 'quiet.log');
    const watching = join(dir, 'watching.log');
    // quiet: only the exit hook can write its buffered line. watching
    // (handleSignals) also records the exception.
    const script = `
      const { createAuditTrail } = await import('@palisade/audit');
      const quiet = createAuditTrail({ destination: ${JSON.stringify(quiet)}, dangerouslyDisableAnomalyDetection: true, handleSignals: false, flushInterval: '1h' });
      const watching = createAuditTrail({ destination: ${JSON.stringify(watching)}, dangerouslyDisableAnomalyDetection: true, flushInterval: '1h' });
      quiet.record({ type: 'last_words' });
      setTimeout(() => { throw new Error('boom password=hunter2'); }, 1);
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      env: { ...process.env, TSX_TSCONFIG_PATH: fileURLToPath(new URL('../../../tsconfig.json', import.meta.url)) },
      encoding: 'utf8',
    });
    expect(child.status).toBe(1);
    expect(child.stderr).toContain('Error: boom');
    expect(readLines(quiet).map((line) => line.type ?? line.event)).toEqual(['chain_start', 'last_words']);
    expect(readLines(watching)[1]).toMatchObject({ event: 'security', type: 'uncaught_exception', data: { origin: 'uncaughtException', error: 'Error: boom password=[REDACTED]' } });
  });
});
