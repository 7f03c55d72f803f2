/**
 * API keys (src/internal/api-keys.ts) for operations whose security scheme
 * is `apiKey`: stored as hashes, compared in constant time against every
 * entry, mapped to a client identity, and required in the options when
 * the document uses such a scheme.
 */
import { timingSafeEqual } from 'node:crypto';
import type * as NodeCrypto from 'node:crypto';
import { PalisadeConfigError, createPalisade, type Palisade } from '@palisade/core';
import { createJwtAuthentication, hashApiKey, type ApiKeyEntry } from '@palisade/jwt-auth';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { bearer, send } from './support/drive-engine';
import { createStaticIssuer, type StaticIssuer } from './support/static-issuer';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof NodeCrypto>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const comparisons = vi.mocked(timingSafeEqual);

const DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'api keys', version: '1' },
  components: {
    securitySchemes: {
      headerKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      queryKey: { type: 'apiKey', in: 'query', name: 'api_key' },
      bearer: { type: 'http', scheme: 'bearer' },
    },
  },
  paths: {
    '/reports': { get: { operationId: 'listReports', security: [{ headerKey: [] }], responses: { '200': { description: 'ok' } } } },
    '/exports': { get: { operationId: 'listExports', security: [{ queryKey: [] }], responses: { '200': { description: 'ok' } } } },
    '/mixed': { get: { operationId: 'getMixed', security: [{ bearer: [] }, { headerKey: [] }], responses: { '200': { description: 'ok' } } } },
  },
};

const REPORTING_KEY = 'pk_live_reporting_7f3a9c';
const BATCH_KEY = 'pk_live_batch_0b1e2d';
const ENTRIES: ApiKeyEntry[] = [
  { hash: hashApiKey(REPORTING_KEY), clientId: 'reporting-service', scopes: ['reports:read'] },
  { hash: hashApiKey(BATCH_KEY), clientId: 'batch-exporter' },
  { hash: hashApiKey('pk_live_retired_999'), clientId: 'retired' },
];

let es: StaticIssuer;
let engine: Palisade;

beforeAll(async () => {
  es = await createStaticIssuer('https://es.issuer.example');
  engine = await createPalisade({ document: DOCUMENT, guards: [createJwtAuthentication({ issuers: [{ issuer: es.issuer, audience: es.audience, keys: es.jwks }], apiKeys: ENTRIES })] });
});

beforeEach(() => {
  comparisons.mockClear();
});

afterAll(async () => {
  await engine?.close();
});

describe('hashApiKey', () => {
  it('is the base64url SHA-256 of the key (FIPS 180-2 "abc" vector)', () => {
    expect(hashApiKey('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect(hashApiKey(REPORTING_KEY)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('API keys on an apiKey operation', () => {
  it('maps a known key to its client id and scopes; no subject (it identifies an application, not a user)', async () => {
    const outcome = await send(engine, { url: '/reports', headers: { 'x-api-key': REPORTING_KEY } });

    expect(outcome.status).toBe(200);
    expect(outcome.principal).toMatchObject({ subject: null, clientId: 'reporting-service', method: 'api_key', issuer: null });
    expect([...outcome.principal!.scopes]).toEqual(['reports:read']);
  });

  it('reads a query-string key where the scheme says so', async () => {
    const outcome = await send(engine, { url: `/exports?api_key=${BATCH_KEY}` });
    expect(outcome.principal).toMatchObject({ clientId: 'batch-exporter' });
    expect([...outcome.principal!.scopes]).toEqual([]);
  });

  it('refuses an unknown key with 401 and an audit reason', async () => {
    const outcome = await send(engine, { url: '/reports', headers: { 'x-api-key': 'pk_live_guessed_000000' } });
    expect({ status: outcome.status, reason: outcome.reason, detail: outcome.privateDetail }).toEqual({ status: 401, reason: 'token_invalid', detail: 'unknown API key' });
    expect(outcome.body).not.toContain('pk_live');
  });

  it('near miss: the hash itself, or the key with different case or padding, is not the key', async () => {
    for (const value of [hashApiKey(REPORTING_KEY), REPORTING_KEY.toUpperCase(), ` ${REPORTING_KEY}`, `${REPORTING_KEY}\n`]) {
      expect((await send(engine, { url: '/reports', headers: { 'x-api-key': value } })).reason, JSON.stringify(value)).toBe('token_invalid');
    }
  });

  it('refuses empty and oversized keys before hashing', async () => {
    expect((await send(engine, { url: '/reports', headers: { 'x-api-key': '' } })).privateDetail).toBe('API key of unusable length');
    expect((await send(engine, { url: '/reports', headers: { 'x-api-key': 'k'.repeat(513) } })).privateDetail).toBe('API key of unusable length');
    expect(comparisons).not.toHaveBeenCalled();
  });

  it('without a key: 401 token_missing', async () => {
    expect((await send(engine, { url: '/reports' })).reason).toBe('token_missing');
  });

  it('compares against every entry in constant time, whether the key matches the first entry or none', async () => {
    await send(engine, { url: '/reports', headers: { 'x-api-key': REPORTING_KEY } });
    expect(comparisons).toHaveBeenCalledTimes(ENTRIES.length);

    comparisons.mockClear();
    await send(engine, { url: '/reports', headers: { 'x-api-key': 'pk_live_guessed_000000' } });
    expect(comparisons).toHaveBeenCalledTimes(ENTRIES.length);
  });
});

describe('an operation that accepts a bearer token or an API key', () => {
  it('uses the bearer token when there is one', async () => {
    const outcome = await send(engine, { ...bearer(await es.sign()), url: '/mixed', headers: { 'x-api-key': REPORTING_KEY } });
    expect(outcome.principal).toMatchObject({ subject: 'user-alice', method: 'jwt' });
  });

  it('falls back to the API key without a bearer token', async () => {
    expect((await send(engine, { url: '/mixed', headers: { 'x-api-key': REPORTING_KEY } })).principal).toMatchObject({ clientId: 'reporting-service', method: 'api_key' });
  });

  it('does not fall back to the API key when the bearer token is bad', async () => {
    const outcome = await send(engine, { ...bearer(await es.sign({ aud: 'billing-api' })), url: '/mixed', headers: { 'x-api-key': REPORTING_KEY } });
    expect({ status: outcome.status, reason: outcome.reason }).toEqual({ status: 401, reason: 'token_audience_invalid' });
  });
});

describe('configuration', () => {
  it('an operation with an apiKey scheme and no apiKeys configured is a start-up error naming the operation', async () => {
    const auth = createJwtAuthentication({ issuers: [{ issuer: es.issuer, audience: es.audience, keys: es.jwks }] });
    const error = await createPalisade({ document: DOCUMENT, guards: [auth] }).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(PalisadeConfigError);
    expect(error).toMatchObject({ code: 'ERR_PALISADE_INVALID_OPTIONS', path: 'apiKeys' });
    expect((error as Error).message).toContain('listReports');
  });

  it('refuses an entry whose hash is not a hashApiKey value (e.g. the key itself)', () => {
    expect(() => createJwtAuthentication({ issuers: [{ issuer: es.issuer, audience: es.audience, keys: es.jwks }], apiKeys: [{ hash: REPORTING_KEY, clientId: 'reporting-service' }] })).toThrow(
      expect.objectContaining({ code: 'ERR_PALISADE_INVALID_OPTIONS', path: 'apiKeys[0].hash' }),
    );
  });
});
