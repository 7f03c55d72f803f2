import { createResponseFilter } from '@palisade/response-filter';
import { describe, expect, it } from 'vitest';
import { documentWith, engineFor, exchange } from './support/harness';

const json = (properties: Record<string, unknown>) => ({ 'application/json': { schema: { type: 'object', properties } } });

async function engineWithResponses(responses: Record<string, unknown>) {
  return engineFor(documentWith(null, { responses }), createResponseFilter());
}

describe('choosing the declared response', () => {
  const responses = {
    '200': { description: 'exact', content: json({ exact: { type: 'string' } }) },
    '2XX': { description: 'range', content: json({ range: { type: 'string' } }) },
    '4XX': { description: 'client error', content: json({ client: { type: 'string' } }) },
    default: { description: 'default', content: json({ fallback: { type: 'string' } }) },
  };
  const body = { exact: 'e', range: 'r', client: 'c', fallback: 'f' };

  it.each([
    [200, { exact: 'e' }],
    [201, { range: 'r' }],
    [299, { range: 'r' }],
    [404, { client: 'c' }],
    [302, { fallback: 'f' }],
    [500, { fallback: 'f' }],
  ])('status %i: the exact code beats its range, which beats default', async (status, expected) => {
    const sent = exchange(await engineWithResponses(responses), { url: '/thing', status, body });
    expect(sent.reply).toBeNull();
    expect(sent.body).toEqual(expected);
  });

  it('a status neither declared nor covered by default refuses the response', async () => {
    const engine = await engineWithResponses({ '200': { description: 'OK', content: json({ a: { type: 'string' } }) } });
    const sent = exchange(engine, { url: '/thing', status: 201, body: { a: 'x' } });
    expect(sent.reply?.status).toBe(500);
    expect(sent.ctx.denial?.reason).toBe('response_invalid');
    expect(sent.ctx.denial?.privateDetail).toContain('status 201 is not declared and the operation has no "default" response');
  });
});

describe('choosing the media type', () => {
  it('a JSON body where the response declares no content refuses the response', async () => {
    const engine = await engineWithResponses({ '204': { description: 'No content' } });
    const sent = exchange(engine, { url: '/thing', status: 204, body: {} });
    expect(sent.ctx.denial?.privateDetail).toContain('response "204" declares no content, but a application/json body was sent');
  });

  it('a JSON body where only other media types are declared refuses the response', async () => {
    const engine = await engineWithResponses({ '200': { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } } });
    const sent = exchange(engine, { url: '/thing', body: 'a,b' });
    expect(sent.ctx.denial?.privateDetail).toContain('declares no application/json content (declared: text/csv)');
  });

  it('a JSON media type without a schema declares nothing, so nothing is sent', async () => {
    const engine = await engineWithResponses({ '200': { description: 'OK', content: { 'application/json': {} } } });
    const sent = exchange(engine, { url: '/thing', body: { a: 1 } });
    expect(sent.reply?.status).toBe(500);
    expect(sent.ctx.denial?.privateDetail).toContain('declares no schema');
  });

  it('schema: {} allows any body', async () => {
    const engine = await engineWithResponses({ '200': { description: 'OK', content: { 'application/json': { schema: {} } } } });
    expect(exchange(engine, { url: '/thing', body: { a: [1] } }).body).toEqual({ a: [1] });
  });

  it('an application/json body uses a +json media type when no application/json is declared', async () => {
    const engine = await engineWithResponses({ '200': { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } }, 'application/vnd.shop+json': { schema: { type: 'object', properties: { id: { type: 'string' } } } } } } });
    expect(exchange(engine, { url: '/thing', body: { id: 'a', b: 1 } }).body).toEqual({ id: 'a' });
  });

  it('an exact media type match wins over application/json', async () => {
    const engine = await engineWithResponses({
      '200': {
        description: 'OK',
        content: {
          'application/json': { schema: { type: 'object', properties: { plain: { type: 'string' } } } },
          'application/merge-patch+json': { schema: { type: 'object', properties: { patch: { type: 'string' } } } },
        },
      },
    });
    const body = { plain: 'p', patch: 'q' };
    expect(exchange(engine, { url: '/thing', body }).body).toEqual({ plain: 'p' });
    expect(exchange(engine, { url: '/thing', body, contentType: 'application/merge-patch+json' }).body).toEqual({ patch: 'q' });
  });

  it('a media range (*/*) with a schema describes JSON bodies too', async () => {
    const engine = await engineWithResponses({ '200': { description: 'OK', content: { '*/*': { schema: { type: 'object', properties: { id: { type: 'string' } } } } } } });
    expect(exchange(engine, { url: '/thing', body: { id: 'a', b: 1 } }).body).toEqual({ id: 'a' });
  });
});
