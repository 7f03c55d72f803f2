import { readFileSync } from 'node:fs';
import { REASON_CODES, REASONS, type ReasonCode } from '@palisade/core';
import { describe, expect, it } from 'vitest';

const DOC = readFileSync(new URL('../../../docs/reasons.md', import.meta.url), 'utf8');
const COLUMNS = ['reason', 'status', 'problem type', 'WWW-Authenticate error', 'when'];

interface DocumentedReason {
  readonly reason: string;
  readonly status: number;
  readonly type: string;
  /** `null`: no challenge, `''`: a bare Bearer challenge, else the `error` value. */
  readonly challenge: string | null;
  readonly when: string;
}

function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((cell) => cell.trim());
}

const unquote = (cell: string) => cell.replace(/^`(.*)`$/, '$1');

function parseTable(markdown: string): DocumentedReason[] {
  const lines = markdown.split('\n');
  const header = lines.findIndex((line) => line.startsWith('|') && cells(line)[0] === 'reason');
  expect(header, 'the reasons table header').toBeGreaterThanOrEqual(0);
  expect(cells(lines[header]!)).toEqual(COLUMNS);
  expect(cells(lines[header + 1]!).every((cell) => /^:?-+:?$/.test(cell))).toBe(true);
  const rows: DocumentedReason[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [reason, status, type, challenge, when] = cells(line);
    expect(cells(line), line).toHaveLength(COLUMNS.length);
    rows.push({
      reason: unquote(reason!),
      status: Number(status),
      type: unquote(type!),
      challenge: challenge === '—' ? null : challenge === 'bare `Bearer`' ? '' : unquote(challenge!),
      when: when!,
    });
  }
  return rows;
}

describe('docs/reasons.md', () => {
  const rows = parseTable(DOC);
  const documented = new Map(rows.map((row) => [row.reason, row]));

  it('documents each code once', () => {
    expect(rows.length).toBe(documented.size);
  });

  it('documents every code of REASONS', () => {
    const missing = REASON_CODES.filter((code) => !documented.has(code));
    expect(missing, 'codes in REASONS but not in docs/reasons.md').toEqual([]);
  });

  it('documents no code that REASONS does not have', () => {
    const stale = rows.map((row) => row.reason).filter((reason) => !Object.prototype.hasOwnProperty.call(REASONS, reason));
    expect(stale, 'codes in docs/reasons.md but not in REASONS').toEqual([]);
  });

  it('lists the codes in the order of REASONS', () => {
    expect(rows.map((row) => row.reason)).toEqual([...REASON_CODES]);
  });

  it.each(REASON_CODES.map((code) => [code]))('%s has the status, problem type and challenge of REASONS', (code: ReasonCode) => {
    const row = documented.get(code);
    expect(row).toBeDefined();
    expect(row!.status).toBe(REASONS[code].status);
    expect(row!.type).toBe(REASONS[code].type);
    expect(row!.challenge).toBe(REASONS[code].challenge);
    expect(row!.when.length).toBeGreaterThan(20);
  });
});
