import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditTrail, type AuditAlert } from '@palisade/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen, rawRequest } from '../../../test/helpers/http';
import { startTestProvider, type TestProvider } from '../../../test/helpers/oidc-provider';
import { createOrdersApp, type OrdersApp } from '../src/app';
import { readConfig } from '../src/config';

const trailFile = join(tmpdir(), `orders-trail-${process.pid}-${Date.now()}.log`);
let server: Server;
let base: string;
let orders: OrdersApp;
let issuer: TestProvider;
const alerts: AuditAlert[] = [];
let aliceToken: string;
let replayedToken: string;
const sent: string[] = [];

beforeAll(async () => {
  issuer = await startTestProvider({ audience: 'orders-api' });
  orders = await createOrdersApp(readConfig({ AUDIT_LOG: trailFile, OIDC_ISSUER: issuer.issuer, TRUST_PROXY: 'loopback' }), { onAlert: (alert) => alerts.push(alert) });
  server = createServer(orders.app);
  base = await listen(server);
  aliceToken = await issuer.issueAccessToken({ sub: 'user-alice', scope: 'orders:read orders:write' });
  replayedToken = await issuer.issueAccessToken({ sub: 'user-bob', scope: 'orders:read' });

  // A mixed workload, carrying every secret the trail must never hold.
  const send = async (method: string, path: string, headers: Record<string, string> = {}, body?: string) => {
    const requestId = `mix-${sent.length + 1}`;
    sent.push(requestId);
    return rawRequest(base, method, path, { headers: { 'x-request-id': requestId, 'x-forwarded-for': '198.51.100.10', ...headers }, body });
  };
  const alice = { authorization: `Bearer ${aliceToken}`, cookie: 'session=cookie-secret-value' };
  await send('GET', '/health');
  await send('POST', '/login', {}, JSON.stringify({ username: 'alice', password: 'alice-pass-123' }));
  await send('POST', '/login', {}, JSON.stringify({ username: 'alice', password: 'wrong-secret-guess' }));
  await send('GET', '/orders', alice);
  await send('GET', `/orders?access_token=${aliceToken}`);
  await send('POST', '/orders', alice, '{"items":[{"sku":"SKU-001","qty":1}]}');
  await send('POST', '/orders', alice, '{"items":[{"sku":"SKU-001","qty":1}],"ownerId":"user-bob"}');
  await send('GET', '/internal/debug', alice);
  await send('GET', '/orders/ord-0001', { authorization: 'Bearer not.a.token' });
  // ID enumeration: ten other people's orders within a minute.
  for (let n = 21; n <= 30; n++) await send('GET', `/orders/ord-00${n}`, alice);
  await send('GET', '/orders/ord-0001', alice);
  // One token from four addresses.
  for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4']) await send('GET', '/orders', { authorization: `Bearer ${replayedToken}`, 'x-forwarded-for': address });
  await orders.close();
});

afterAll(async () => {
  await close(server);
  await issuer.stop();
});

const lines = () =>
  readFileSync(trailFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('the audit trail (reference: audit trail)', () => {
  it('has one line per request with the contract fields', () => {
    const requests = lines().filter((line) => line.event === 'request');
    expect(requests.map((line) => line.requestId)).toEqual(sent);
    for (const line of requests) {
      for (const field of ['time', 'requestId', 'method', 'path', 'operationId', 'status', 'outcome', 'reason', 'sub', 'clientId', 'ip', 'durationMs', 'hash', 'prevHash']) expect(line, field).toHaveProperty(field);
      expect(new Date(String(line.time)).toISOString()).toBe(line.time);
      expect(['allow', 'deny']).toContain(line.outcome);
    }
    const byId = new Map(requests.map((line) => [line.requestId, line]));
    expect(byId.get('mix-3')).toMatchObject({ operationId: 'login', status: 401, outcome: 'deny', reason: 'bad_credentials' });
    expect(byId.get('mix-4')).toMatchObject({ operationId: 'listOrders', status: 200, outcome: 'allow', reason: null, sub: 'user-alice', ip: '198.51.100.10' });
    expect(byId.get('mix-7')).toMatchObject({ status: 400, reason: 'schema_invalid' });
    expect(byId.get('mix-8')).toMatchObject({ operationId: null, status: 404, reason: 'undeclared_route' });
    expect(byId.get('mix-9')).toMatchObject({ status: 401, reason: 'token_malformed' });
    expect(byId.get('mix-10')).toMatchObject({ status: 404, reason: 'not_found_or_not_owner' });
  });

  it('alerts on ID enumeration and blocks the subject for 5 minutes', () => {
    expect(alerts.map((alert) => alert.alert)).toContain('bola_enumeration');
    const blocked = lines().find((line) => line.requestId === 'mix-20');
    expect(blocked).toMatchObject({ status: 429, reason: 'subject_blocked', sub: 'user-alice' });
    expect(lines().some((line) => line.event === 'alert' && line.alert === 'bola_enumeration' && line.sub === 'user-alice')).toBe(true);
  });

  it('alerts when one token is used from more than 3 addresses', () => {
    expect(alerts.find((alert) => alert.alert === 'token_replay_suspected')).toMatchObject({ sub: 'user-bob' });
    expect(lines().some((line) => line.event === 'alert' && line.alert === 'token_replay_suspected')).toBe(true);
  });

  it('never holds a token, a password, a cookie or an Authorization header', () => {
    const text = readFileSync(trailFile, 'utf8');
    for (const secret of [aliceToken, replayedToken, aliceToken.split('.')[2]!, 'alice-pass-123', 'wrong-secret-guess', 'cookie-secret-value', 'not.a.token']) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/authorization|bearer|access_token/i);
  });

  it('is a hash chain the verifier accepts, and names a tampered line', async () => {
    const intact = await verifyAuditTrail(trailFile);
    expect(intact).toMatchObject({ intact: true, firstProblem: null });
    const original = readFileSync(trailFile, 'utf8').split('\n');
    const index = original.findIndex((line) => line.includes('"requestId":"mix-3"'));
    const tampered = [...original];
    tampered[index] = tampered[index]!.replace('"status":401', '"status":200').replace('"outcome":"deny"', '"outcome":"allow"');
    const tamperedFile = `${trailFile}.tampered`;
    writeFileSync(tamperedFile, tampered.join('\n'));
    const result = await verifyAuditTrail(tamperedFile);
    expect(result.intact).toBe(false);
    expect(result.firstProblem?.line).toBe(index + 1);
    const missing = original.filter((_, i) => i !== index + 2);
    writeFileSync(tamperedFile, missing.join('\n'));
    expect((await verifyAuditTrail(tamperedFile)).firstProblem?.line).toBe(index + 3);
  });
});
