import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { createAuditTrail, verifyAuditTrail, type AuditTrail } from '@palisade/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './support/harness';

let audit: AuditTrail;
let file: string;

beforeAll(() => {
  file = join(tempDir(), 'audit.log');
  audit = createAuditTrail({ destination: file, dangerouslyDisableAnomalyDetection: true, handleSignals: false, bufferBytes: 0 });
});

afterAll(() => audit.close());

function linesSince(count: number): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(count);
}

const base64url = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')), minLength: 16, maxLength: 60 });
const jwt = fc.tuple(base64url, base64url, base64url).map(([header, payload, signature]) => `eyJ${header}.${payload}.${signature}`);

describe('every security event', () => {
  it('keeps the trail verifiable, whatever its payload', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ type: fc.string(), payload: fc.jsonValue() }), { minLength: 1, maxLength: 5 }), async (events) => {
        for (const event of events) audit.record({ type: event.type, value: event.payload });
        expect((await verifyAuditTrail(file)).firstProblem).toBeNull();
      }),
      { numRuns: 60 },
    );
  });

  it('never carries a value under a secret-named key, nor a token anywhere in its text', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('password', 'clientSecret', 'access_token', 'Authorization', 'cookie', 'apiKey', 'refreshToken', 'mfaSecret', 'sessionId'),
        fc.string({ minLength: 8 }).map((value) => `S3CR3T-${value}`),
        jwt,
        fc.string(),
        fc.string(),
        (key, secret, token, before, after) => {
          const written = linesSince(0).length;
          audit.record({ type: 'probe', nested: { [key]: secret }, note: `${before} ${token} ${after}` });
          const [line] = linesSince(written);
          expect(line).not.toContain('S3CR3T-');
          expect(line).not.toContain(token.split('.')[1]);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('the verifier', () => {
  it('reports any one-character change to a line at that line or the next', async () => {
    const start = linesSince(0).length;
    for (let i = 0; i < 8; i++) audit.record({ type: 'tick', n: i, note: `line ${i}` });
    const lines = linesSince(0);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: start, max: lines.length - 1 }), fc.nat(), fc.constantFrom(...'0aZ"{}:,\\ x9'.split('')), async (index, at, replacement) => {
        const line = lines[index]!;
        const position = at % line.length;
        fc.pre(line[position] !== replacement);
        const changed = [...lines];
        changed[index] = line.slice(0, position) + replacement + line.slice(position + 1);
        const result = await verifyAuditTrail({ text: `${changed.join('\n')}\n` });
        expect(result.intact).toBe(false);
        expect([index + 1, index + 2]).toContain(result.firstProblem!.line);
      }),
      { numRuns: 200 },
    );
  });
});
