import { PalisadeConfigError, createPalisade, type Guard, type Palisade, type RequestContext } from '@palisade/core';
import { createSsrfGuard, type Resolver, type SsrfGuardOptions } from '@palisade/ssrf';
import { describe, expect, it } from 'vitest';
import { VECTOR_DNS } from './vectors/url-spellings';

const resolve: Resolver = async (hostname) => {
  const addresses = VECTOR_DNS[hostname];
  if (addresses === undefined) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
  return addresses;
};

const jsonBody = (schema: object, required = true) => ({ required, content: { 'application/json': { schema } } });
const webhookSchema = { type: 'object', properties: { url: { type: 'string' }, events: { type: 'array', items: { type: 'string' } } } };

// The reference's POST /webhooks, public here so that no authentication
// guard is needed, plus variants for schemes, nested and several fields.
const document = {
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths: {
    '/webhooks': {
      post: {
        operationId: 'createWebhook',
        security: [],
        requestBody: jsonBody(webhookSchema),
        responses: { '201': { description: 'ok' } },
        'x-palisade-ssrf': { fields: ['/url'], schemes: ['https'] },
      },
    },
    '/imports': {
      post: {
        operationId: 'createImport',
        security: [],
        requestBody: jsonBody({ type: 'object' }, false),
        responses: { '201': { description: 'ok' } },
        'x-palisade-ssrf': { fields: ['/source/url', '/callbacks/0', '/a~1b'], schemes: ['https', 'http'] },
      },
    },
    '/notes': {
      post: { operationId: 'createNote', security: [], requestBody: jsonBody({ type: 'object' }), responses: { '201': { description: 'ok' } } },
    },
  },
};

// Stands in for @palisade/schema-validator: parses the JSON body into ctx.body.
const parseBody: Guard = {
  name: 'test-body-parser',
  stage: 'validation',
  compile: (operation) =>
    operation === null
      ? null
      : {
          async onRequest(ctx: RequestContext) {
            if (ctx.view.readBody === null) return null;
            const bytes = await ctx.view.readBody(16_384);
            if (bytes.length > 0) ctx.body = JSON.parse(bytes.toString('utf8'));
            return null;
          },
        },
};

async function engineFor(options: SsrfGuardOptions = { resolve }, guards?: Guard[]): Promise<Palisade> {
  return createPalisade({ document, guards: guards ?? [parseBody, createSsrfGuard(options)] });
}

async function post(engine: Palisade, path: string, body: unknown) {
  const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(bytes.length) };
  const ctx = engine.startRequest({ method: 'POST', url: path, headers, remoteAddress: '127.0.0.1', readBody: async () => bytes, peerCertificate: null });
  const reply = await engine.checkRequest(ctx);
  return { status: reply?.status ?? 201, body: reply?.body ? (JSON.parse(String(reply.body)) as Record<string, unknown>) : null, ctx };
}

describe('POST /webhooks (reference contract)', () => {
  it('refuses a loopback URL with 400 ssrf_blocked, and audits the code and reason', async () => {
    const engine = await engineFor();
    const res = await post(engine, '/webhooks', { url: 'https://2130706433/hook', events: ['order.created'] });
    expect(res.status).toBe(400);
    expect(res.ctx.denial?.reason).toBe('ssrf_blocked');
    expect(res.ctx.denial?.privateDetail).toBe('/url: ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED: address 127.0.0.1 is loopback');
    expect(res.body).toMatchObject({ status: 400, detail: 'The URL is not allowed.', errors: [{ pointer: '/body/url', message: 'must point to a publicly reachable host' }] });
  });

  it('accepts a public IP literal (the near miss)', async () => {
    const engine = await engineFor();
    const res = await post(engine, '/webhooks', { url: 'https://93.184.215.14/hook', events: ['order.created'] });
    expect(res.status).toBe(201);
    expect(res.ctx.denial).toBeNull();
  });

  it('answers every DNS-dependent refusal alike, so callers cannot map internal DNS', async () => {
    const engine = await engineFor();
    const bodies = [];
    for (const url of ['https://loopback.example/', 'https://nxdomain.example/', 'https://mixed.example/', 'https://169.254.169.254/', 'https://localhost/']) {
      const res = await post(engine, '/webhooks', { url, events: [] });
      expect(res.status, url).toBe(400);
      bodies.push(JSON.stringify({ ...res.body, instance: null }));
    }
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]).not.toMatch(/loopback|private|resolve|ERR_PALISADE/);
  });

  it('names what an honest client can fix: scheme, user information, malformed URL', async () => {
    const engine = await engineFor();
    const message = async (url: unknown) => ((await post(engine, '/webhooks', { url })).body?.errors as { message: string }[])[0]!.message;
    expect(await message('http://93.184.215.14/')).toBe('must use https');
    expect(await message('https://user:pw@93.184.215.14/')).toBe('must not contain user information');
    expect(await message('not a url')).toBe('must be an absolute URL written as scheme://host/path');
    expect(await message(42)).toBe('must be an absolute URL written as scheme://host/path');
  });

  it('passes the guard options to the policy', async () => {
    const engine = await engineFor({ resolve, denyHosts: ['public.example'] });
    expect((await post(engine, '/webhooks', { url: 'https://public.example/' })).status).toBe(400);
    expect((await post(engine, '/webhooks', { url: 'https://public6.example/' })).status).toBe(201);
  });
});

describe('fields and schemes from the document', () => {
  it('takes the schemes from x-palisade-ssrf', async () => {
    const engine = await engineFor();
    expect((await post(engine, '/imports', { source: { url: 'http://93.184.215.14/feed' } })).status).toBe(201);
    expect((await post(engine, '/imports', { source: { url: 'ftp://93.184.215.14/feed' } })).status).toBe(400);
  });

  it('checks nested pointers, array indexes and escaped names, and lists every failing field', async () => {
    const engine = await engineFor();
    const res = await post(engine, '/imports', { source: { url: 'https://10.0.0.1/' }, callbacks: ['https://[::1]/'], 'a/b': 'https://public.example/' });
    expect(res.status).toBe(400);
    expect((res.body?.errors as { pointer: string }[]).map((error) => error.pointer)).toEqual(['/body/source/url', '/body/callbacks/0']);
    expect(res.ctx.denial?.privateDetail).toMatch(/^\/source\/url: ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED: .*; \/callbacks\/0: ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED: /);
    expect((await post(engine, '/imports', { 'a/b': 'https://localhost/' })).status).toBe(400);
  });

  it('leaves absent and null fields to the schema', async () => {
    const engine = await engineFor();
    expect((await post(engine, '/imports', {})).status).toBe(201);
    expect((await post(engine, '/imports', { source: null, callbacks: [] })).status).toBe(201);
    expect((await post(engine, '/imports', { source: { url: null } })).status).toBe(201);
  });

  it('does not look up inherited properties', async () => {
    const engine = await engineFor();
    expect((await post(engine, '/imports', JSON.parse('{"source": {"__proto__": {"url": "https://127.0.0.1/"}}}'))).status).toBe(201);
  });

  it('does nothing on operations without x-palisade-ssrf', async () => {
    const engine = await engineFor();
    expect((await post(engine, '/notes', { url: 'https://127.0.0.1/' })).status).toBe(201);
    expect(createSsrfGuard().compile(null, { compiled: {} as never })).toBeNull();
  });
});

describe('fails closed when the body was not parsed', () => {
  it('answers 500 when it runs before the body parser, and says how to fix the order', async () => {
    const engine = await engineFor(undefined, [createSsrfGuard({ resolve }), parseBody]);
    const res = await post(engine, '/webhooks', { url: 'https://127.0.0.1/' });
    expect(res.status).toBe(500);
    expect(res.ctx.denial?.reason).toBe('internal_error');
    expect(res.ctx.denial?.privateDetail).toMatch(/put createSchemaValidator\(\) before createSsrfGuard\(\)/);
  });

  it('answers 500 when no body parser runs at all', async () => {
    const engine = await engineFor(undefined, [createSsrfGuard({ resolve })]);
    expect((await post(engine, '/webhooks', { url: 'https://93.184.215.14/' })).status).toBe(500);
  });

  it('lets an optional body that was not sent through', async () => {
    const engine = await engineFor(undefined, [createSsrfGuard({ resolve })]);
    expect((await post(engine, '/imports', undefined)).status).toBe(201);
  });
});

describe('start-up errors', () => {
  it('refuses x-palisade-ssrf on an operation without a request body', async () => {
    const bodiless = {
      ...document,
      paths: { '/ping': { get: { operationId: 'ping', security: [], responses: { '200': { description: 'ok' } }, 'x-palisade-ssrf': { fields: ['/url'] } } } },
    };
    await expect(createPalisade({ document: bodiless, guards: [createSsrfGuard()] })).rejects.toThrow(/\/paths\/~1ping\/get\/x-palisade-ssrf\/fields: operation ping declares no requestBody/);
  });

  it('refuses schemes in code: the document sets them per operation', () => {
    expect(() => createSsrfGuard({ schemes: ['http'] } as never)).toThrow(/x-palisade-ssrf\.schemes/);
  });

  it('refuses unknown options with "did you mean"', () => {
    expect(() => createSsrfGuard({ denyHost: ['a.example'] } as never)).toThrow(/Did you mean "denyHosts"/);
  });

  it('says how to call it when given a function', () => {
    expect(() => createSsrfGuard(createSsrfGuard as never)).toThrow(PalisadeConfigError);
  });
});
