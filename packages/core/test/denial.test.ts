import { Denial, deny, isDenial } from '@palisade/core';
import { describe, expect, it } from 'vitest';

describe('Denial', () => {
  it('takes its status from the reason table and null for everything not given', () => {
    const denial = deny('token_expired');
    expect(denial).toBeInstanceOf(Denial);
    expect(denial).toMatchObject({ reason: 'token_expired', status: 401, detail: null, privateDetail: null, challengeParams: null, headers: null, errors: null, cause: undefined });
  });

  it('keeps what it is given', () => {
    const cause = new Error('boom');
    const denial = deny('rate_limited', { detail: 'Slow down.', privateDetail: 'ip 10.0.0.1 over 120/min', headers: { 'retry-after': '30' }, cause });
    expect(denial).toMatchObject({ status: 429, detail: 'Slow down.', privateDetail: 'ip 10.0.0.1 over 120/min', headers: { 'retry-after': '30' }, cause });
  });

  it('has one shape whatever the options', () => {
    expect(Object.keys(deny('internal_error')).sort()).toEqual(Object.keys(deny('schema_invalid', { errors: [], detail: 'x' })).sort());
  });

  it('is recognised by isDenial only when it is one', () => {
    expect(isDenial(deny('body_malformed'))).toBe(true);
    expect(isDenial({ reason: 'body_malformed', status: 400 })).toBe(false);
    expect(isDenial(new Error('x'))).toBe(false);
    expect(isDenial(null)).toBe(false);
  });
});
