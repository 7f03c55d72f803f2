import { isReasonCode, REASON_CODES, REASONS } from '@palisade/core';
import { describe, expect, it } from 'vitest';

describe('REASONS', () => {
  it('lists every code once, in REASON_CODES', () => {
    expect(REASON_CODES).toEqual(Object.keys(REASONS));
    expect(Object.isFrozen(REASON_CODES)).toBe(true);
  });

  it('uses snake_case codes, error statuses and kebab-case types', () => {
    for (const code of REASON_CODES) {
      const entry = REASONS[code];
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
      expect(entry.type).toMatch(/^[a-z]+(-[a-z]+)*$/);
    }
  });

  it('gives a Bearer challenge to every 401 but bad_credentials, and to insufficient_scope', () => {
    for (const code of REASON_CODES) {
      const entry = REASONS[code];
      if (entry.status === 401 && code !== 'bad_credentials') expect(entry.challenge, code).not.toBeNull();
      if (entry.status !== 401 && code !== 'insufficient_scope') expect(entry.challenge, code).toBeNull();
    }
    expect(REASONS.insufficient_scope.challenge).toBe('insufficient_scope');
  });

  it('covers the reasons the reference audit trail names', () => {
    const audited = [
      'token_missing',
      'token_invalid',
      'token_expired',
      'insufficient_scope',
      'not_found_or_not_owner',
      'schema_invalid',
      'unsupported_media_type',
      'payload_too_large',
      'rate_limited',
      'subject_blocked',
      'undeclared_route',
      'method_not_allowed',
      'step_up_required',
      'ssrf_blocked',
      'upstream_invalid',
      'bad_credentials',
    ];
    for (const code of audited) expect(isReasonCode(code), code).toBe(true);
  });

  it('isReasonCode refuses anything else, inherited names included', () => {
    for (const value of ['toString', '__proto__', 'constructor', 'TOKEN_MISSING', '', 42, null]) expect(isReasonCode(value)).toBe(false);
  });
});
