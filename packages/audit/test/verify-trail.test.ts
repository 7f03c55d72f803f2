import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PalisadeConfigError } from '@palisade/core';
import { createAuditTrail, verifyAuditTrail } from '@palisade/audit';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/harness';

/** A real trail of `n` lines (chain_start + security events), as text lines. */
async function trailLines(n: number): Promise<string[]> {
  const file = join(tempDir(), 'audit.log');
  const audit = createAuditTrail({ destination: file, dangerouslyDisableAnomalyDetection: true, handleSignals: false });
  for (let i = 1; i < n; i++) audit.record({ type: 'tick', n: i });
  await audit.close();
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

const text = (lines: readonly string[]) => `${lines.join('\n')}\n`;

describe('verifyAuditTrail', () => {
  it('finds an intact trail intact', async () => {
    const lines = await trailLines(6);
    const result = await verifyAuditTrail({ text: text(lines) });
    expect(result).toEqual({ intact: true, lines: 6, skipped: 0, lastHash: JSON.parse(lines[5]!).hash, segments: 1, firstProblem: null, problems: [], problemCount: 0 });
  });

  it('names a changed line: hash mismatch', async () => {
    const lines = await trailLines(6);
    lines[3] = lines[3]!.replace('"n":3', '"n":30');
    const result = await verifyAuditTrail({ text: text(lines) });
    expect(result.intact).toBe(false);
    expect(result.firstProblem).toMatchObject({ line: 4, kind: 'hash_mismatch' });
    // The next line still links to the changed line's claimed hash: one problem, at the right place.
    expect(result.problemCount).toBe(1);
  });

  it('names the line after a deleted one: prevHash mismatch', async () => {
    const lines = await trailLines(6);
    lines.splice(2, 1);
    const result = await verifyAuditTrail({ text: text(lines) });
    expect(result.firstProblem).toMatchObject({ line: 3, kind: 'prev_hash_mismatch' });
    expect(result.firstProblem!.message).toContain('missing before this one');
  });

  it('names reordered lines', async () => {
    const lines = await trailLines(6);
    [lines[2], lines[3]] = [lines[3]!, lines[2]!];
    const result = await verifyAuditTrail({ text: text(lines) });
    expect(result.firstProblem).toMatchObject({ line: 3, kind: 'prev_hash_mismatch' });
    expect(result.problems.map((problem) => problem.line)).toEqual([3, 4, 5]);
    expect(result.problems[1]!.message).toContain('links to line 2 instead of line 3');
  });

  it('names a line that is not JSON, and a recomputed hash that breaks the next link', async () => {
    const lines = await trailLines(6);
    const cut = [...lines];
    cut[4] = cut[4]!.slice(0, 40);
    expect((await verifyAuditTrail({ text: text(cut) })).firstProblem).toMatchObject({ line: 5, kind: 'not_json' });
    const noHash = [...lines];
    noHash[1] = JSON.stringify({ ...JSON.parse(noHash[1]!), hash: undefined });
    expect((await verifyAuditTrail({ text: text(noHash) })).firstProblem).toMatchObject({ line: 2, kind: 'missing_hash' });
  });

  it('notices lines missing at the start', async () => {
    const lines = await trailLines(4);
    const result = await verifyAuditTrail({ text: text(lines.slice(1)) });
    expect(result.firstProblem).toMatchObject({ line: 1, kind: 'prev_hash_mismatch' });
    expect(result.firstProblem!.message).toContain('does not start a chain');
  });

  it('verifies canonical content, not bytes: a re-formatted line still verifies', async () => {
    const lines = await trailLines(3);
    const parsed = JSON.parse(lines[1]!) as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(parsed).reverse());
    lines[1] = JSON.stringify(reordered, null, 0).replace(/,"/g, ', "');
    expect((await verifyAuditTrail({ text: text(lines).replace(/\n/g, '\r\n') })).intact).toBe(true);
  });

  it('treats a second chain as a break unless segments are allowed', async () => {
    const first = await trailLines(3);
    const second = await trailLines(3);
    const joined = text([...first, ...second]);
    expect((await verifyAuditTrail({ text: joined })).firstProblem).toMatchObject({ line: 4, kind: 'prev_hash_mismatch' });
    expect(await verifyAuditTrail({ text: joined }, { allowSegments: true })).toMatchObject({ intact: true, segments: 2 });
  });

  it('can skip other output captured with a stdout trail, and still sees a torn audit line', async () => {
    const first = await trailLines(3);
    const second = await trailLines(3);
    const captured = ['service ready on http://127.0.0.1:3000', ...first, 'GET /health 200', ...second, '{"level":30,"msg":"bye"}'];
    const options = { allowSegments: true, skipForeignLines: true };
    expect(await verifyAuditTrail({ text: text(captured) }, options)).toMatchObject({ intact: true, lines: 9, skipped: 3, segments: 2 });
    const torn = [...captured];
    torn[2] = torn[2]!.slice(0, 30);
    expect((await verifyAuditTrail({ text: text(torn) }, options)).firstProblem).toMatchObject({ line: 4, kind: 'prev_hash_mismatch' });
  });

  it('reads files, given as a path or { file }', async () => {
    const file = join(tempDir(), 'copy.log');
    const lines = await trailLines(5);
    writeFileSync(file, text(lines));
    expect((await verifyAuditTrail(file)).intact).toBe(true);
    appendFileSync(file, 'garbage\n');
    expect((await verifyAuditTrail({ file })).firstProblem).toMatchObject({ line: 6, kind: 'not_json' });
    await expect(verifyAuditTrail(join(tempDir(), 'absent.log'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('says how to call it when given something else', async () => {
    await expect(verifyAuditTrail(42 as never)).rejects.toBeInstanceOf(PalisadeConfigError);
  });
});
