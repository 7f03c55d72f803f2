import { createResponseFilter, type ResponseViolation } from '@palisade/response-filter';
import { describe, expect, it } from 'vitest';
import { filterWith } from './support/harness';

describe('failure reports', () => {
  it('point into the body with escaped JSON pointer tokens', async () => {
    const violations: ResponseViolation[] = [];
    const schema = { type: 'object', properties: { 'a/b~c': { type: 'array', items: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } } }, required: ['a/b~c'] };
    await filterWith(schema, { 'a/b~c': [{ n: 1 }, { n: 'x' }] }, { filter: createResponseFilter({ onViolation: (violation) => violations.push(violation) }) });
    expect(violations).toHaveLength(1);
    expect(violations[0]!.bodyPointer).toBe('/a~1b~0c/1/n');
    expect(violations[0]!.message).toBe('body at /a~1b~0c/1/n must be integer');
  });

  it('are not confused by an optional value dropped earlier', async () => {
    const violations: ResponseViolation[] = [];
    const schema = { type: 'object', properties: { first: { type: 'object', properties: { deep: { type: 'string' } }, required: ['deep'] }, second: { type: 'string' } }, required: ['second'] };
    await filterWith(schema, { first: { deep: 1 }, second: 2 }, { filter: createResponseFilter({ onViolation: (violation) => violations.push(violation) }) });
    expect(violations[0]!.bodyPointer).toBe('/second');
  });

  it('name the body itself with an empty pointer', async () => {
    const violations: ResponseViolation[] = [];
    await filterWith({ type: 'object' }, 'text', { filter: createResponseFilter({ onViolation: (violation) => violations.push(violation) }) });
    expect(violations[0]).toMatchObject({ kind: 'body_mismatch', bodyPointer: '', message: 'body must be object' });
  });
});

describe('toJSON', () => {
  it('is called with the key JSON.stringify would pass', async () => {
    const keys: string[] = [];
    const probe = (value: string) => ({ toJSON: (key: string) => (keys.push(key), value) });
    const schema = { type: 'object', properties: { at: { type: 'string' }, list: { type: 'array', items: { type: 'string' } } } };
    const run = await filterWith(schema, { at: probe('a'), list: [probe('b')] });
    expect(run.body).toEqual({ at: 'a', list: ['b'] });
    expect(keys).toEqual(['at', '0']);
  });

  it('a toJSON that returns undefined makes the property absent', async () => {
    const run = await filterWith({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { a: { toJSON: () => undefined } });
    expect(run.reply?.status).toBe(500);
  });
});
