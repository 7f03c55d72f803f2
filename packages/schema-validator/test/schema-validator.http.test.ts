import { request as httpRequest } from 'node:http';
import type { Palisade } from '@palisade/core';
import { createSchemaValidator } from '@palisade/schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_DOCUMENT, createEngine, encode, startServer, type TestRequest } from './helpers/harness';
import { MASS_ASSIGNMENT, NEAR_MISSES, REFUSALS, newOrderOfSize } from './vectors/reference-requests';

/**
 * The reference vectors over real HTTP: a node:http server on port 0
 * driving the engine as an adapter does (Express-level runs of the same
 * vectors belong with the Express adapter's tests).
 */
let palisade: Palisade;
let server: { url: string; close(): Promise<void> };

beforeAll(async () => {
  palisade = await createEngine(REFERENCE_DOCUMENT, createSchemaValidator());
  server = await startServer(palisade);
});

afterAll(async () => {
  await server.close();
});

function call(request: TestRequest): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { headers, bytes } = encode(request);
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${request.url}`, { method: request.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(bytes ?? undefined);
  });
}

describe('over HTTP', () => {
  it.each([...MASS_ASSIGNMENT, ...NEAR_MISSES, ...REFUSALS].map((vector) => [vector.title, vector] as const))('%s', async (_title, vector) => {
    const response = await call(vector);
    expect(response.status, response.body).toBe(vector.status);
    if (vector.status >= 400) expect(response.headers['content-type']).toBe('application/problem+json');
    if (vector.pointer !== undefined) expect((JSON.parse(response.body) as { errors: { pointer: string }[] }).errors.map((error) => error.pointer)).toContain(vector.pointer);
  });

  it('hands the handler the parsed body and query', async () => {
    const created = await call({ method: 'POST', url: '/orders', body: { items: [{ sku: 'SKU-001', qty: 3 }], note: '李雷' } });
    expect(JSON.parse(created.body)).toEqual({ body: { items: [{ sku: 'SKU-001', qty: 3 }], note: '李雷' }, query: {} });
    const listed = await call({ method: 'GET', url: '/orders?status=shipped' });
    expect(JSON.parse(listed.body)).toEqual({ body: null, query: { status: 'shipped', limit: 20 } });
  });

  it('refuses an oversized body streamed without Content-Length', async () => {
    const response = await call({ method: 'POST', url: '/orders', headers: { 'content-type': 'application/json' }, body: newOrderOfSize(40000), chunked: true });
    expect(response.status).toBe(413);
  });

  it('keeps the connection usable after refusing a body', async () => {
    for (let i = 0; i < 3; i++) expect((await call({ method: 'POST', url: '/orders', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(1000) })).status).toBe(415);
    expect((await call({ method: 'GET', url: '/orders' })).status).toBe(200);
  });
});
