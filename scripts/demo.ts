/**
 * `pnpm demo`: starts the reference service (examples/express-orders) on
 * loopback with in-memory defaults, fires attacks at it over real HTTP,
 * and prints what stopped each one. Exits non-zero if any attack got
 * through or any legitimate request was refused.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditTrail } from '@palisade/audit';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import { createOrdersApp } from '../examples/express-orders/src/app';
import { readConfig } from '../examples/express-orders/src/config';
import { rawRequest } from '../test/helpers/http';
import { startTestProvider, type TestProvider } from '../test/helpers/oidc-provider';
import { forgeToken, hs256WithPublicKey, tamperPayload } from '../test/helpers/token-forge';

interface Attack {
  readonly attack: string;
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string> | ((issuer: TestProvider) => Promise<Record<string, string>>);
  readonly body?: string;
  readonly expected: number;
  /** A near miss: a legitimate request that must pass. */
  readonly legitimate?: boolean;
  /** Send the request this many times (the last one is the one shown); `#` in the body becomes the attempt number. */
  readonly repeat?: number;
  /** For attacks answered 2xx: what must be true of the body (data-exposure attacks). */
  readonly bodyCheck?: { readonly label: string; readonly passes: (body: string) => boolean };
}

const aliceReads = async (op: TestProvider) => bearer(await op.issueAccessToken({ sub: 'user-alice', scope: 'orders:read' }));
const aliceWrites = async (op: TestProvider) => bearer(await op.issueAccessToken({ sub: 'user-alice', scope: 'orders:write' }));

const attacks: Attack[] = [
  { attack: 'undeclared route that has a handler', method: 'GET', path: '/internal/debug', expected: 404 },
  { attack: 'path case variant', method: 'GET', path: '/ADMIN/users', expected: 404 },
  { attack: 'trailing slash', method: 'GET', path: '/admin/users/', expected: 404 },
  { attack: 'doubled slash', method: 'GET', path: '//admin/users', expected: 404 },
  { attack: 'dot segments', method: 'GET', path: '/orders/../admin/users', expected: 404 },
  { attack: 'encoded dot segments', method: 'GET', path: '/orders/%2e%2e/admin/users', expected: 404 },
  { attack: 'encoded slash', method: 'GET', path: '/admin%2fusers', expected: 404 },
  { attack: 'encoded backslash', method: 'GET', path: '/admin%5cusers', expected: 404 },
  { attack: 'percent-encoded literal', method: 'GET', path: '/%61dmin/users', expected: 404 },
  { attack: 'encoded NUL', method: 'GET', path: '/orders/ord-0001%00', expected: 404 },
  { attack: 'malformed percent-encoding', method: 'GET', path: '/orders/%zz', expected: 400 },
  { attack: 'invalid UTF-8', method: 'GET', path: '/orders/%C3%28', expected: 400 },
  { attack: 'method override header', method: 'DELETE', path: '/orders/ord-0001', headers: { 'x-http-method-override': 'GET' }, expected: 401 },
  { attack: 'X-Original-URL rewrite', method: 'GET', path: '/health', headers: { 'x-original-url': '/internal/debug' }, expected: 200 },
  { attack: 'undeclared method', method: 'PUT', path: '/orders/ord-0001', expected: 405 },
  { attack: 'TRACE', method: 'TRACE', path: '/orders', expected: 405 },
  { attack: 'admin function without a token', method: 'GET', path: '/admin/users', expected: 401 },
  { attack: 'token with alg "none"', method: 'GET', path: '/orders', headers: async (op) => bearer(await forgeToken({ header: { alg: 'none' }, payload: claims(op, 'user-alice', 'orders:read') })), expected: 401 },
  { attack: 'HS256 signed with the public key', method: 'GET', path: '/orders', headers: async (op) => bearer((await hs256WithPublicKey(op.publicJwks().keys[0]!, claims(op, 'user-alice', 'orders:read')))[0]!.token), expected: 401 },
  { attack: 'claims edited after signing', method: 'GET', path: '/admin/users', headers: async (op) => bearer(tamperPayload(await op.issueAccessToken({ sub: 'user-alice', scope: 'orders:read' }), { scope: 'admin:users' })), expected: 401 },
  { attack: 'expired token', method: 'GET', path: '/orders', headers: async (op) => bearer(await op.issueAccessToken({ sub: 'user-alice', scope: 'orders:read', expiresIn: -120 })), expected: 401 },
  { attack: 'token for another audience', method: 'GET', path: '/orders', headers: async (op) => bearer(await op.issueAccessToken({ sub: 'user-alice', scope: 'orders:read', audience: 'billing-api' })), expected: 401 },
  { attack: 'ID token as access token', method: 'GET', path: '/orders', headers: async (op) => bearer(await op.issueIdToken({ sub: 'user-alice' })), expected: 401 },
  {
    attack: "attacker's key embedded in the header",
    method: 'GET',
    path: '/orders',
    headers: async (op) => {
      const attacker = await generateKeyPair('ES256');
      return bearer(await forgeToken({ header: { alg: 'ES256', jwk: await exportJWK(attacker.publicKey) }, payload: claims(op, 'user-alice', 'orders:read'), key: attacker.privateKey }));
    },
    expected: 401,
  },
  { attack: 'admin function without its scope', method: 'GET', path: '/admin/users', headers: async (op) => bearer(await op.issueAccessToken({ sub: 'user-alice', scope: 'orders:read orders:write' })), expected: 403 },
  { attack: "BOLA: another user's order", method: 'GET', path: '/orders/ord-0021', headers: async (op) => bearer(await op.issueAccessToken({ sub: 'user-alice', scope: 'orders:read' })), expected: 404 },
  { attack: 'delete without orders:admin', method: 'DELETE', path: '/orders/ord-0001', headers: async (op) => bearer(await op.issueAccessToken({ sub: 'user-alice', scope: 'orders:read orders:write' })), expected: 403 },
  { attack: 'checkout without step-up', method: 'POST', path: '/orders/ord-0001/checkout', headers: async (op) => bearer(await op.issueAccessToken({ sub: 'user-alice', scope: 'orders:write' })), expected: 401 },
  { attack: 'mass assignment: ownerId', method: 'POST', path: '/orders', headers: aliceWrites, body: '{"items":[{"sku":"SKU-001","qty":1}],"ownerId":"user-bob"}', expected: 400 },
  { attack: 'mass assignment: status and total', method: 'PATCH', path: '/orders/ord-0001', headers: aliceWrites, body: '{"note":"hi","status":"paid","total":0}', expected: 400 },
  { attack: 'prototype pollution', method: 'POST', path: '/orders', headers: aliceWrites, body: '{"items":[{"sku":"SKU-001","qty":1}],"__proto__":{"isAdmin":true}}', expected: 400 },
  { attack: 'oversized body', method: 'POST', path: '/orders', headers: aliceWrites, body: `{"items":[{"sku":"SKU-001","qty":1}],"note":"${'x'.repeat(20_000)}"}`, expected: 413 },
  { attack: 'undeclared content type', method: 'POST', path: '/orders', headers: async (op) => ({ ...(await aliceWrites(op)), 'content-type': 'text/xml' }), body: '<order/>', expected: 415 },
  { attack: 'injection in a query parameter', method: 'GET', path: "/orders?cursor='%20OR%201=1--", headers: aliceReads, expected: 400 },
  {
    attack: 'excessive data exposure',
    method: 'GET',
    path: '/orders/ord-0001',
    headers: aliceReads,
    expected: 200,
    bodyCheck: { label: 'filtered', passes: (body) => !/internalNote|costPrice|customerEmail|margin ok/.test(body) },
  },
  {
    attack: 'secrets in an admin listing',
    method: 'GET',
    path: '/admin/users',
    headers: async (op) => bearer(await op.issueAccessToken({ sub: 'user-admin', scope: 'admin:users' })),
    expected: 200,
    bodyCheck: { label: 'filtered', passes: (body) => !/passwordHash|mfaSecret/.test(body) },
  },
  { attack: 'malicious upstream answer', method: 'GET', path: '/orders/ord-0002/invoice', headers: aliceReads, expected: 502 },
  {
    attack: 'upstream smuggling extra fields',
    method: 'GET',
    path: '/orders/ord-0001/invoice',
    headers: aliceReads,
    expected: 200,
    bodyCheck: { label: 'filtered', passes: (body) => !/internalRef|sql/.test(body) },
  },
  { attack: 'SSRF: cloud metadata address', method: 'POST', path: '/webhooks', headers: aliceWrites, body: '{"url":"https://169.254.169.254/latest/meta-data/","events":["order.created"]}', expected: 400 },
  { attack: 'SSRF: loopback in decimal', method: 'POST', path: '/webhooks', headers: aliceWrites, body: '{"url":"https://2130706433/hook","events":["order.created"]}', expected: 400 },
  { attack: 'SSRF: IPv4-mapped IPv6', method: 'POST', path: '/webhooks', headers: aliceWrites, body: '{"url":"https://[::ffff:10.0.0.1]/hook","events":["order.created"]}', expected: 400 },
  { attack: 'SSRF: plain http', method: 'POST', path: '/webhooks', headers: aliceWrites, body: '{"url":"http://93.184.215.14/hook","events":["order.created"]}', expected: 400 },
  { attack: 'password guessing (6th try)', method: 'POST', path: '/login', body: '{"username":"bob","password":"guess-#"}', repeat: 6, expected: 429 },
  { attack: 'credential stuffing (21st login)', method: 'POST', path: '/login', body: '{"username":"user#","password":"x"}', repeat: 21, expected: 429 },
  { attack: 'anonymous flood (121st request)', method: 'GET', path: '/health', repeat: 121, expected: 429 },
  {
    attack: 'checkout flood (4th in 10 min)',
    method: 'POST',
    path: '/orders/ord-0009/checkout',
    headers: async (op) => bearer(await op.issueAccessToken({ sub: 'user-alice', scope: 'orders:write', amr: ['mfa'] })),
    repeat: 4,
    expected: 429,
  },
  { attack: 'ID enumeration (11th foreign order)', method: 'GET', path: '/orders/ord-0022', headers: async (op) => bearer(await op.issueAccessToken({ sub: 'user-carol', scope: 'orders:read' })), repeat: 11, expected: 429 },
  { attack: 'near miss: webhook on a public address', method: 'POST', path: '/webhooks', headers: aliceWrites, body: '{"url":"https://93.184.215.14/hook","events":["order.created"]}', expected: 201, legitimate: true },
  { attack: 'near miss: own order', method: 'GET', path: '/orders/ord-0001', headers: async (op) => bearer(await op.issueAccessToken({ sub: 'user-alice', scope: 'orders:read' })), expected: 200, legitimate: true },
  { attack: 'near miss: admin reads any order', method: 'GET', path: '/orders/ord-0021', headers: async (op) => bearer(await op.issueAccessToken({ sub: 'user-admin', scope: 'orders:read orders:admin' })), expected: 200, legitimate: true },
  { attack: 'near miss: checkout after MFA', method: 'POST', path: '/orders/ord-0023/checkout', headers: async (op) => bearer(await op.issueAccessToken({ sub: 'user-bob', scope: 'orders:write', amr: ['pwd', 'mfa'] })), expected: 200, legitimate: true },
  { attack: 'near miss: health check', method: 'GET', path: '/health', expected: 200, legitimate: true },
  { attack: 'near miss: login', method: 'POST', path: '/login', body: JSON.stringify({ username: 'alice', password: 'alice-pass-123' }), expected: 200, legitimate: true },
];

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const claims = (op: TestProvider, sub: string, scope: string) => {
  const now = Math.floor(Date.now() / 1000);
  return { iss: op.issuer, aud: op.audience, sub, scope, client_id: 'demo', iat: now, exp: now + 300, jti: `demo-${now}` };
};

// The reason of each request, read back from the audit trail by request id.
function reasonsFromTrail(file: string): Map<string, string> {
  const reasons = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
    const entry = JSON.parse(line) as { event?: string; requestId?: string; reason?: string | null };
    if (entry.event === 'request' && entry.requestId) reasons.set(entry.requestId, entry.reason ?? 'allowed');
  }
  return reasons;
}

async function main(): Promise<void> {
  // A local OpenID Provider (oidc-provider on loopback) issues real tokens.
  const issuer = await startTestProvider({ audience: 'orders-api' });
  const billing = await startBilling();
  const trail = join(mkdtempSync(join(tmpdir(), 'palisade-demo-')), 'audit.log');
  const alerts: string[] = [];
  // The demo plays several clients through a trusted loopback proxy (X-Forwarded-For).
  const orders = await createOrdersApp(readConfig({ PORT: '0', OIDC_ISSUER: issuer.issuer, BILLING_URL: billing.url, AUDIT_LOG: trail, TRUST_PROXY: 'loopback' }), {
    onAlert: (alert) => alerts.push(`${alert.alert} (sub ${alert.sub ?? '-'}, ip ${alert.ip ?? '-'})`),
  });
  const { app, palisade } = orders;
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  console.log(`Palisade demo: the reference Orders API on ${base}, attacked over HTTP; tokens from the OpenID Provider at ${issuer.issuer}.\n`);
  console.log(palisade.formatReport().split('\n').filter((line) => line.includes('WARNING')).join('\n'));
  console.log();

  const results: { attack: Attack; requestId: string; status: number; body: string }[] = [];
  for (const [index, attack] of attacks.entries()) {
    const requestId = `demo-${index + 1}`;
    const headers = typeof attack.headers === 'function' ? await attack.headers(issuer) : attack.headers;
    // Each attack comes from its own address unless it says otherwise.
    const from = { 'x-forwarded-for': `198.51.100.${(index % 250) + 1}` };
    for (let i = 1; i < (attack.repeat ?? 1); i++) await rawRequest(base, attack.method, attack.path, { headers: { ...from, ...headers }, body: attack.body?.replace('#', String(i)) });
    const res = await rawRequest(base, attack.method, attack.path, { headers: { ...from, ...headers, 'x-request-id': requestId }, body: attack.body?.replace('#', 'last') });
    results.push({ attack, requestId, status: res.status, body: res.body });
  }
  server.closeAllConnections();
  server.close();
  await orders.close();
  await issuer.stop();
  billing.server.close();

  const reasons = reasonsFromTrail(trail);
  const rows: string[][] = [];
  let failures = 0;
  for (const { attack, requestId, status, body } of results) {
    const res = { status, body };
    const bodyOk = attack.bodyCheck === undefined || attack.bodyCheck.passes(res.body);
    const ok = res.status === attack.expected && bodyOk;
    if (!ok) failures++;
    const verdict = !ok ? 'UNEXPECTED' : attack.legitimate ? 'passed' : attack.bodyCheck ? attack.bodyCheck.label : res.status < 400 ? 'no effect' : 'stopped';
    rows.push([attack.attack, `${attack.method} ${attack.path.length > 40 ? `${attack.path.slice(0, 37)}...` : attack.path}`, String(attack.expected), String(res.status), reasons.get(requestId) ?? '?', verdict]);
  }
  printTable(['attack', 'request', 'expected', 'got', 'reason', 'verdict'], rows);
  console.log(`\nAlerts raised: ${alerts.length === 0 ? 'none' : alerts.join('; ')}`);
  const verification = await verifyAuditTrail(trail);
  console.log(`Audit trail: ${trail}`);
  console.log(`  ${verification.lines} lines, hash chain ${verification.intact ? 'intact' : `BROKEN at line ${verification.firstProblem?.line}`} (check it yourself: node packages/audit/dist/cli.js audit verify ${trail})`);
  if (!verification.intact) failures++;
  console.log(failures === 0 ? `\nAll ${attacks.length} requests answered as expected.` : `\n${failures} request(s) answered unexpectedly.`);
  process.exitCode = failures === 0 ? 0 : 1;
}

// A billing upstream that misbehaves: extra fields for ord-0001, an
// invalid invoice for ord-0002.
async function startBilling(): Promise<{ url: string; server: ReturnType<typeof createServer> }> {
  const server = createServer((req, res) => {
    const id = /\/invoices\/(ord-\d{4})$/.exec(req.url ?? '')?.[1] ?? '';
    const invoice = { invoiceId: 'inv-0001', orderId: id, amount: 10, currency: 'EUR', issuedAt: '2026-01-02T00:00:00Z' };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(id === 'ord-0002' ? { ...invoice, amount: -1, currency: 'BTC' } : { ...invoice, internalRef: 'ledger-7', debug: { sql: 'select * from invoices' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
}

main().catch((error: unknown) => {
  console.error('demo failed:', error);
  process.exit(1);
});
