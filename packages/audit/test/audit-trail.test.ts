import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PalisadeConfigError, deny } from '@palisade/core';
import { createAuditTrail, verifyAuditTrail, type AuditTrail } from '@palisade/audit';
import type { JwtAuthenticationOptions } from '@palisade/jwt-auth';
import type { RateLimitStoreEvent } from '@palisade/rate-limit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeStore } from './support/fake-store';
import { engine, fakeAuthentication, ownership, principal, readLines, requestLines, send, tempDir } from './support/harness';

const open: AuditTrail[] = [];
function trail(options: Parameters<typeof createAuditTrail>[0] = {}): { audit: AuditTrail; file: string } {
  const file = join(tempDir(), 'audit.log');
  const audit = createAuditTrail({ destination: file, store: new FakeStore(), handleSignals: false, ...options });
  open.push(audit);
  return { audit, file };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((audit) => audit.close()));
});

function configError(run: () => unknown): PalisadeConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof PalisadeConfigError) return error;
    throw error;
  }
  throw new Error('expected a PalisadeConfigError');
}

// A JWT-shaped string (never verified here): header.payload.signature.
const JWT = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ1c2VyLWFsaWNlIiwianRpIjoiYWJjIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';

describe('createAuditTrail options', () => {
  it('is a frozen guard at stage rate-limit', () => {
    const { audit } = trail();
    expect(audit.name).toBe('audit');
    expect(audit.stage).toBe('rate-limit');
    expect(Object.isFrozen(audit)).toBe(true);
  });

  it('rejects unknown options with a suggestion', () => {
    const error = configError(() => createAuditTrail({ destnation: 'x.log' } as never));
    expect(error.code).toBe('ERR_PALISADE_INVALID_OPTIONS');
    expect(error.message).toContain('Did you mean "destination"?');
  });

  it('counts in process memory without a store, and says once in production that it should be shared', () => {
    vi.stubEnv('NODE_ENV', 'production');
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const { audit } = trail({ store: undefined });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toContain('createAuditTrail({ store: createRateLimitStore({ redis }) })');
      expect(warn.mock.calls[0]![1]).toEqual({ code: 'PALISADE_AUDIT_MEMORY_STORE' });
      expect(audit.name).toBe('audit');
    } finally {
      warn.mockRestore();
      vi.unstubAllEnvs();
    }
  });

  it('recognises a store factory passed in place of the store', () => {
    const error = configError(() => createAuditTrail({ destination: 'stdout', store: (() => new FakeStore()) as never }));
    expect(error.path).toBe('store');
  });

  it('turns detection off only by its long name, and not together with its settings', () => {
    expect(configError(() => createAuditTrail({ dangerouslyDisableAnomalyDetection: false as never })).path).toBe('dangerouslyDisableAnomalyDetection');
    expect(configError(() => createAuditTrail({ dangerouslyDisableAnomalyDetection: true, anomalies: {} })).message).toContain('Remove');
  });

  it('rejects bad thresholds and durations with their paths', () => {
    expect(configError(() => trail({ anomalies: { enumeration: { threshold: 0 } } })).path).toBe('anomalies.enumeration.threshold');
    expect(configError(() => trail({ anomalies: { tokenReplay: { window: 'soon' } } })).path).toBe('anomalies.tokenReplay.window');
  });

  it('says how to call it when given a path or a function', () => {
    expect(configError(() => createAuditTrail('audit.log' as never)).message).toContain('createAuditTrail({ destination: "audit.log", store })');
    expect(configError(() => createAuditTrail((() => undefined) as never)).code).toBe('ERR_PALISADE_MISUSE');
  });

  it('refuses a second trail on the same file, whose chains would interleave', () => {
    const { file } = trail();
    expect(configError(() => createAuditTrail({ destination: file, store: new FakeStore(), handleSignals: false })).code).toBe('ERR_PALISADE_MISUSE');
  });
});

describe('request lines', () => {
  it('writes one line per request with the reference fields', async () => {
    const { audit, file } = trail();
    const palisade = await engine([fakeAuthentication({ 'token-alice': principal('user-alice') }), ownership, audit]);
    await send(palisade, { url: '/orders/ord-user-alice-1', headers: { authorization: 'Bearer token-alice', 'x-request-id': 'req-allowed' } });
    await send(palisade, { url: '/orders/ord-user-bob-1', headers: { authorization: 'Bearer token-alice', 'x-request-id': 'req-denied' } });
    audit.flush();

    const [allowed, denied] = requestLines(file);
    expect(allowed).toMatchObject({
      event: 'request',
      requestId: 'req-allowed',
      method: 'GET',
      path: '/orders/ord-user-alice-1',
      operationId: 'getOrder',
      status: 200,
      outcome: 'allow',
      reason: null,
      sub: 'user-alice',
      clientId: 'shop-app',
      ip: '203.0.113.7',
    });
    expect(allowed!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(typeof allowed!.durationMs).toBe('number');
    expect(allowed!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(allowed).not.toHaveProperty('detail');
    expect(denied).toMatchObject({ requestId: 'req-denied', status: 404, outcome: 'deny', reason: 'not_found_or_not_owner', detail: 'order ord-user-bob-1 belongs to another caller' });
    expect(denied!.prevHash).toBe(allowed!.hash);
  });

  it('audits requests that match no operation, with operationId null', async () => {
    const { audit, file } = trail();
    const palisade = await engine([audit]);
    await send(palisade, { url: '/internal/debug' });
    await send(palisade, { method: 'DELETE', url: '/health' });
    audit.flush();
    const lines = requestLines(file);
    expect(lines.map((line) => [line.operationId, line.status, line.reason])).toEqual([
      [null, 404, 'undeclared_route'],
      [null, 405, 'method_not_allowed'],
    ]);
    expect(lines.every((line) => line.sub === null && line.outcome === 'deny')).toBe(true);
  });

  it('adds the operation\'s x-palisade-audit event as `action`', async () => {
    const { audit, file } = trail();
    const palisade = await engine([audit]);
    await send(palisade, { method: 'POST', url: '/login', headers: { 'content-type': 'application/json' }, body: '{"username":"alice","password":"x"}', handler: () => 401 });
    audit.flush();
    expect(requestLines(file)[0]).toMatchObject({ action: 'auth.login', operationId: 'login', status: 401, outcome: 'allow' });
  });

  it('gives every deny a reason, and keeps a 500\'s error in the trail only', async () => {
    const { audit, file } = trail();
    const palisade = await engine([audit]);
    await send(palisade, { url: '/health', handler: () => { throw new TypeError('cannot read x of undefined'); } });
    await send(palisade, { url: '/health', handler: () => 503 });
    audit.flush();
    const [thrown, sent] = requestLines(file);
    expect(thrown).toMatchObject({ status: 500, outcome: 'deny', reason: 'internal_error', error: 'TypeError: cannot read x of undefined' });
    expect(sent).toMatchObject({ status: 503, outcome: 'deny', reason: 'internal_error' });
  });

  it('cuts long paths and removes control characters', async () => {
    const { audit, file } = trail();
    const palisade = await engine([audit]);
    await send(palisade, { url: `/${'a'.repeat(2000)}` });
    audit.flush();
    const path = requestLines(file)[0]!.path as string;
    expect(path.length).toBe(513);
    expect(path.endsWith('…')).toBe(true);
  });
});

describe('redaction', () => {
  it('never writes a token, Authorization, Cookie, query string or password, whatever the request carries', async () => {
    const { audit, file } = trail();
    const palisade = await engine([fakeAuthentication({ [JWT]: principal('user-alice') }), ownership, audit]);
    const secretHeaders = { authorization: `Bearer ${JWT}`, cookie: 'session=s3ss10n-c00kie-value; theme=dark', 'x-api-key': 'k3y-value-123' };
    await send(palisade, { url: `/orders/ord-user-alice-1?access_token=${JWT}&q=1`, headers: secretHeaders });
    await send(palisade, { url: '/orders/ord-user-alice-1', headers: { ...secretHeaders, authorization: 'Bearer not-a-known-token-value' } });
    await send(palisade, { method: 'POST', url: '/login?password=hunter2-in-query', headers: { 'content-type': 'application/json', cookie: 'session=s3ss10n-c00kie-value' }, body: '{"username":"alice","password":"hunter2-in-body"}' });
    await send(palisade, { url: `/magic/${JWT}` });
    await send(palisade, {
      url: '/health',
      handler: () => {
        throw deny('internal_error', { privateDetail: `upstream said: Authorization: Bearer ${JWT}; password=hunter2-in-detail token=${JWT}`, cause: new Error(`login failed for password=hunter2-in-error, cookie: session=s3ss10n-c00kie-value`) });
      },
    });
    audit.flush();

    const text = readFileSync(file, 'utf8');
    for (const secret of [JWT, 'eyJhbGci', 'not-a-known-token-value', 's3ss10n-c00kie-value', 'k3y-value-123', 'access_token', 'hunter2', 'theme=dark']) {
      expect(text, secret).not.toContain(secret);
    }
    expect(text).toContain('[REDACTED]');
    expect(requestLines(file)).toHaveLength(5);
  });
});

describe('security events', () => {
  it('records events from other packages, redacting secret-named fields and declared secrets', async () => {
    const { audit, file } = trail();
    await engine([audit]);
    audit.record({ type: 'keys_refreshed', issuer: 'https://id.example', keyIds: ['k1', 'k2'] });
    audit.record({ type: 'store_outage', store: 'redis', error: 'connect ECONNREFUSED' });
    audit.record({ type: 'login_attempt', body: { username: 'alice', password: 'hunter2', otpSeed: 'JBSWY3DPEHPK3PXP', recoveryCode: 'rc-1234', note: `Bearer ${JWT}` }, headers: { Authorization: 'Basic YWxpY2U6aHVudGVy', Cookie: 'a=b' } });
    audit.flush();

    const events = readLines(file).filter((line) => line.event === 'security');
    expect(events.map((line) => line.type)).toEqual(['keys_refreshed', 'store_outage', 'login_attempt']);
    expect(events[0]!.data).toEqual({ issuer: 'https://id.example', keyIds: ['k1', 'k2'] });
    expect(events[2]!.data).toEqual({
      body: { username: 'alice', password: '[REDACTED]', otpSeed: '[REDACTED]', recoveryCode: '[REDACTED]', note: 'Bearer [REDACTED]' },
      headers: { Authorization: '[REDACTED]', Cookie: '[REDACTED]' },
    });
    for (const secret of ['hunter2', 'JBSWY3DPEHPK3PXP', 'rc-1234', 'YWxpY2U6aHVudGVy', JWT]) expect(readFileSync(file, 'utf8')).not.toContain(secret);
  });

  it('is what other packages\' onEvent callbacks take', () => {
    const { audit, file } = trail();
    const keyEvents: NonNullable<JwtAuthenticationOptions['onEvent']> = audit.record;
    const storeEvents: (event: RateLimitStoreEvent) => void = audit.record;
    keyEvents({ type: 'keys_refresh_failed', issuer: 'https://id.example', error: 'JWKS endpoint answered 503' });
    storeEvents({ type: 'store_recovered', store: 'redis' });
    audit.flush();
    expect(readLines(file).slice(1).map((line) => [line.type, line.data])).toEqual([
      ['keys_refresh_failed', { issuer: 'https://id.example', error: 'JWKS endpoint answered 503' }],
      ['store_recovered', { store: 'redis' }],
    ]);
  });

  it('never throws into the caller, and bounds what it writes', () => {
    const { audit, file } = trail();
    const cyclic: Record<string, unknown> = { type: 'weird' };
    cyclic.self = cyclic;
    Object.defineProperty(cyclic, 'boom', { enumerable: true, get: () => { throw new Error('getter'); } });
    expect(() => audit.record(cyclic as never)).not.toThrow();
    expect(() => audit.record(null as never)).not.toThrow();
    expect(() => audit.record({ type: 'huge', list: Array.from({ length: 10_000 }, (_, i) => `item-${i}`) })).not.toThrow();
    audit.flush();
    const lines = readLines(file).filter((line) => line.event === 'security');
    expect(lines.map((line) => line.type)).toEqual(['weird', 'invalid_event', 'huge']);
    expect(JSON.stringify(lines[2]).length).toBeLessThan(10_000);
  });
});

describe('the trail file', () => {
  it('verifies, and every line links to the one before', async () => {
    const { audit, file } = trail();
    const palisade = await engine([audit]);
    for (let i = 0; i < 20; i++) await send(palisade, { url: i % 2 ? '/health' : '/nowhere' });
    audit.record({ type: 'keys_refreshed', issuer: 'https://id.example', keyIds: [] });
    await audit.close();
    const result = await verifyAuditTrail(file);
    expect(result).toMatchObject({ intact: true, lines: 22, segments: 1, firstProblem: null, lastHash: audit.lastHash });
    expect(readLines(file)[0]).toMatchObject({ event: 'chain_start', prevHash: '0'.repeat(64) });
  });

  it('writes nothing after close, and close is idempotent', async () => {
    const { audit, file } = trail();
    const palisade = await engine([audit]);
    await audit.close();
    await audit.close();
    await palisade.close();
    await send(palisade, { url: '/health' });
    audit.record({ type: 'late' });
    expect(readLines(file)).toHaveLength(1);
  });
});
