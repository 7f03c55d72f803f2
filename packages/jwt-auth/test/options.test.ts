/**
 * createJwtAuthentication's options: checked whole at construction, with
 * the option path, the value and the fix; "did you mean" for near-miss
 * keys; no silent fallbacks for insecure transport or key material.
 */
import { createPalisade, type PalisadeConfigError } from '@palisade/core';
import { createJwtAuthentication, type JwtAuthenticationOptions } from '@palisade/jwt-auth';
import { exportJWK, generateKeyPair, generateSecret } from 'jose';
import { describe, expect, it } from 'vitest';
import { createStaticIssuer, type StaticIssuer } from './support/static-issuer';

// Top-level: the it.each tables below are built at collection time.
const es: StaticIssuer = await createStaticIssuer('https://es.issuer.example');

/** The PalisadeConfigError that constructing with `options` throws. */
function configErrorOf(options: unknown): PalisadeConfigError {
  try {
    createJwtAuthentication(options as JwtAuthenticationOptions);
  } catch (error) {
    return error as PalisadeConfigError;
  }
  throw new Error('expected createJwtAuthentication to throw');
}

const issuer = () => ({ issuer: es.issuer, audience: es.audience, keys: es.jwks });

describe('unknown option names', () => {
  it.each([
    ['cacheEntry', { issuers: [issuer()], cacheEntry: 5 }, 'Did you mean "cacheEntries"?'],
    ['acceptTokenInQuerry', { issuers: [issuer()], acceptTokenInQuerry: true }, 'Did you mean "acceptTokenInQuery"?'],
    ['issuers[0].audiance', { issuers: [{ ...issuer(), audiance: 'orders-api' }] }, 'Did you mean "audience"?'],
    ['issuers[0].jwksCoolDown', { issuers: [{ ...issuer(), jwksCoolDown: '1m' }] }, 'Did you mean "jwksCooldown"?'],
    ['issuer', { issuer: 'https://id.example', issuers: [issuer()] }, 'Did you mean "issuers"?'],
  ])('%s: names the option and suggests the right one', (path, options, hint) => {
    const error = configErrorOf(options);
    expect(error).toMatchObject({ name: 'PalisadeConfigError', code: 'ERR_PALISADE_INVALID_OPTIONS' });
    expect(error.problems).toContainEqual(expect.objectContaining({ path }));
    expect(error.message).toContain(hint);
  });

  it('reports every problem at once', () => {
    const error = configErrorOf({ issuers: [{ ...issuer(), audiance: 'x' }], cacheEntry: 1, maxTokenBytes: 12 });
    expect(error.problems.map((problem) => problem.path)).toEqual(expect.arrayContaining(['cacheEntry', 'issuers[0].audiance', 'maxTokenBytes']));
  });
});

describe('transport', () => {
  it.each(['http://issuer.example', 'http://192.168.1.10:8080', 'http://localhost.evil.example', 'ftp://issuer.example', 'issuer.example'])('refuses issuer %s', (value) => {
    expect(configErrorOf({ issuers: [{ issuer: value, audience: 'orders-api' }] })).toMatchObject({ code: 'ERR_PALISADE_INVALID_OPTIONS', path: 'issuers[0].issuer', received: value });
  });

  it.each(['http://127.0.0.1:4000', 'http://127.8.9.10', 'http://localhost:8080', 'http://[::1]:9000', 'http://id.localhost', 'https://issuer.example'])('accepts issuer %s', (value) => {
    expect(() => createJwtAuthentication({ issuers: [{ issuer: value, audience: 'orders-api' }] })).not.toThrow();
  });

  it('refuses a plain-http jwksUri off loopback at construction, not at the first fetch', () => {
    expect(configErrorOf({ issuers: [{ issuer: 'https://issuer.example', audience: 'orders-api', jwksUri: 'http://keys.example/jwks' }] })).toMatchObject({ path: 'issuers[0].jwksUri' });
  });

  it('refuses a plain-http introspection issuer off loopback', () => {
    expect(configErrorOf({ issuers: [issuer()], introspection: { issuer: 'http://issuer.example', clientId: 'rs', clientSecret: 's3cret' } })).toMatchObject({ path: 'introspection.issuer' });
  });
});

describe('keys', () => {
  it('refuses a private key among the static keys', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const error = configErrorOf({ issuers: [{ ...issuer(), keys: { keys: [es.publicJwk, await exportJWK(privateKey)] } }] });
    expect(error).toMatchObject({ code: 'ERR_PALISADE_INVALID_OPTIONS', path: 'issuers[0].keys.keys[1]' });
    expect(error.message).toContain('public keys only');
  });

  it('refuses a symmetric (oct) key', async () => {
    const secret = await exportJWK(await generateSecret('HS256', { extractable: true }));
    expect(configErrorOf({ issuers: [{ ...issuer(), keys: { keys: [secret] } }] })).toMatchObject({ path: 'issuers[0].keys.keys[0]' });
  });

  it('refuses keys and jwksUri together, and says to remove one', () => {
    const error = configErrorOf({ issuers: [{ ...issuer(), jwksUri: 'https://es.issuer.example/jwks' }] });
    expect(error).toMatchObject({ code: 'ERR_PALISADE_INVALID_OPTIONS', path: 'issuers[0].keys' });
    expect(error.message).toContain('Remove one');
  });

  it.each([['HS256'], ['none'], ['RS1']])('refuses algorithm %s', (alg) => {
    expect(configErrorOf({ issuers: [{ ...issuer(), algorithms: [alg] }] }).problems).toContainEqual(expect.objectContaining({ path: 'issuers[0].algorithms[0]' }));
  });

  it('refuses an empty key set', () => {
    expect(configErrorOf({ issuers: [{ ...issuer(), keys: { keys: [] } }] }).code).toBe('ERR_PALISADE_INVALID_OPTIONS');
  });
});

describe('other values', () => {
  it.each([
    ['no issuers', {}, 'issuers'],
    ['an empty issuer list', { issuers: [] }, 'issuers'],
    ['an issuer without audience', { issuers: [{ issuer: 'https://id.example' }] }, 'issuers[0].audience'],
    ['maxTokenBytes below 256', { issuers: [issuer()], maxTokenBytes: 100 }, 'maxTokenBytes'],
    ['a negative cacheEntries', { issuers: [issuer()], cacheEntries: -1 }, 'cacheEntries'],
    ['onEvent that is not a function', { issuers: [issuer()], onEvent: 'log' }, 'onEvent'],
    ['an unknown token type', { issuers: [{ ...issuer(), tokenTypes: ['id+jwt'] }] }, 'issuers[0].tokenTypes[0]'],
  ])('refuses %s', (_label, options, path) => {
    expect(configErrorOf(options).problems).toContainEqual(expect.objectContaining({ path }));
  });

  it('refuses a duration it cannot read', () => {
    expect(configErrorOf({ issuers: [{ ...issuer(), jwksCooldown: 'soon' }] })).toMatchObject({ path: 'issuers[0].jwksCooldown', received: 'soon' });
  });

  it('recognises the factory passed where its options belong', () => {
    expect(configErrorOf(createJwtAuthentication)).toMatchObject({ code: 'ERR_PALISADE_MISUSE' });
  });

  it('recognises the factory passed to createPalisade in place of the guard', async () => {
    await expect(createPalisade({ document: { openapi: '3.1.0', info: { title: 't', version: '1' }, paths: {} }, guards: [createJwtAuthentication as never] })).rejects.toMatchObject({
      code: 'ERR_PALISADE_INVALID_GUARD',
      message: expect.stringContaining('guards: [createJwtAuthentication({ ... })]'),
    });
  });
});
