/**
 * `pnpm demo`: starts the reference service (examples/express-orders) on
 * loopback with in-memory defaults, fires attacks at it over real HTTP,
 * and prints what stopped each one. Exits non-zero if any attack got
 * through or any legitimate request was refused.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Guard } from '@palisade/core';
import { createOrdersApp } from '../examples/express-orders/src/app';
import { readConfig } from '../examples/express-orders/src/config';
import { rawRequest } from '../test/helpers/http';

interface Attack {
  readonly attack: string;
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly expected: number;
  /** A near miss: a legitimate request that must pass. */
  readonly legitimate?: boolean;
}

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
  { attack: 'near miss: health check', method: 'GET', path: '/health', expected: 200, legitimate: true },
  { attack: 'near miss: login', method: 'POST', path: '/login', body: JSON.stringify({ username: 'alice', password: 'alice-pass-123' }), expected: 200, legitimate: true },
];

// Records each request's decision by request id, as the audit trail will.
const reasons = new Map<string, string>();
const recorder: Guard = {
  name: 'demo-recorder',
  stage: 'admission',
  compile: () => ({
    onComplete: (ctx) => {
      reasons.set(ctx.requestId, ctx.denial?.reason ?? 'allowed');
    },
  }),
};

async function main(): Promise<void> {
  const { app, palisade } = await createOrdersApp(readConfig({ PORT: '0' }), { extraGuards: [recorder] });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  console.log(`Palisade demo: the reference Orders API on ${base}, attacked over HTTP.\n`);
  console.log(palisade.formatReport().split('\n').filter((line) => line.includes('WARNING')).join('\n'));
  console.log();

  const rows: string[][] = [];
  let failures = 0;
  for (const [index, attack] of attacks.entries()) {
    const requestId = `demo-${index + 1}`;
    const res = await rawRequest(base, attack.method, attack.path, { headers: { ...attack.headers, 'x-request-id': requestId }, body: attack.body });
    // The decision is recorded when the response finishes; let that run.
    await new Promise((resolve) => setImmediate(resolve));
    const ok = res.status === attack.expected;
    if (!ok) failures++;
    rows.push([attack.attack, `${attack.method} ${attack.path}`, String(attack.expected), String(res.status), reasons.get(requestId) ?? '?', !ok ? 'UNEXPECTED' : attack.legitimate ? 'passed' : res.status < 400 ? 'no effect' : 'stopped']);
  }
  printTable(['attack', 'request', 'expected', 'got', 'reason', 'verdict'], rows);
  server.closeAllConnections();
  server.close();
  await palisade.close();
  console.log(failures === 0 ? `\nAll ${attacks.length} requests answered as expected.` : `\n${failures} request(s) answered unexpectedly.`);
  process.exitCode = failures === 0 ? 0 : 1;
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
