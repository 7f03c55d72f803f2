import { readFileSync } from 'node:fs';
import { compileDocument, createPalisade, EXTENSIONS, loadDocument, type ExtensionName, type OperationExtensions } from '@palisade/core';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const DOC = readFileSync(new URL('../../../docs/openapi-extensions.md', import.meta.url), 'utf8');
const NAMES = Object.keys(EXTENSIONS) as ExtensionName[];

/** `## x-palisade-*` sections: heading -> body up to the next level-2 heading. */
function sections(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of markdown.split(/^## /m).slice(1)) {
    const newline = part.indexOf('\n');
    found.set(part.slice(0, newline).trim(), part.slice(newline + 1));
  }
  return found;
}

function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Objects merge key by key; anything else in `fragment` replaces what `base` has. */
function deepMerge(base: Json, fragment: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(fragment)) out[key] = isObject(value) && isObject(out[key]) ? deepMerge(out[key] as Json, value) : value;
  return out;
}

const pathParameter = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const jsonBody = (schema: Json) => ({ required: true, content: { 'application/json': { schema } } });
const OK = { responses: { '200': { description: 'OK' } } };

/** A small Orders API the examples are written against. */
const BASE: Json = {
  openapi: '3.1.0',
  info: { title: 'Orders API (documentation examples)', version: '1.0.0' },
  security: [{ oauth2: [] }],
  components: {
    securitySchemes: { oauth2: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Login: { type: 'object', additionalProperties: false, required: ['username', 'password'], properties: { username: { type: 'string' }, password: { type: 'string' } } },
      Order: { type: 'object', required: ['id', 'ownerId'], properties: { id: { type: 'string' }, ownerId: { type: 'string' }, customerEmail: { type: 'string' } } },
      NewWebhook: { type: 'object', required: ['url'], properties: { url: { type: 'string', format: 'uri' } } },
    },
  },
  paths: {
    '/login': { post: { operationId: 'login', security: [], requestBody: jsonBody({ $ref: '#/components/schemas/Login' }), ...OK } },
    '/orders': { get: { operationId: 'listOrders', ...OK }, post: { operationId: 'createOrder', requestBody: jsonBody({ type: 'object' }), ...OK } },
    '/orders/{orderId}': { parameters: [pathParameter('orderId')], get: { operationId: 'getOrder', ...OK } },
    '/orders/{orderId}/checkout': { parameters: [pathParameter('orderId')], post: { operationId: 'checkoutOrder', ...OK } },
    '/webhooks': { post: { operationId: 'createWebhook', requestBody: jsonBody({ $ref: '#/components/schemas/NewWebhook' }), ...OK } },
    '/admin/users': { get: { operationId: 'listUsers', ...OK } },
  },
};

const OPERATION_FIELDS: Partial<Record<ExtensionName, keyof OperationExtensions>> = {
  'x-palisade-rate-limit': 'rateLimits',
  'x-palisade-quota': 'quota',
  'x-palisade-brute-force': 'bruteForce',
  'x-palisade-ownership': 'ownership',
  'x-palisade-claims': 'claims',
  'x-palisade-step-up': 'stepUp',
  'x-palisade-limits': 'limits',
  'x-palisade-ssrf': 'ssrf',
  'x-palisade-audit': 'audit',
};

/** Operation ids of the operations a fragment puts `name` on. */
function operationsCarrying(fragment: Json, name: string): string[] {
  const ids: string[] = [];
  for (const [template, item] of Object.entries((fragment.paths ?? {}) as Record<string, Json>)) {
    for (const [method, operation] of Object.entries(item)) {
      if (isObject(operation) && name in operation) ids.push(((BASE.paths as Record<string, Record<string, Json>>)[template]![method]!.operationId as string) ?? '');
    }
  }
  return ids;
}

describe('docs/openapi-extensions.md', () => {
  const documented = sections(DOC);

  it('has a section for every extension', () => {
    expect(NAMES.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('has no section for an extension that does not exist', () => {
    const headings = [...documented.keys()].filter((heading) => heading.startsWith('x-'));
    expect(headings.filter((heading) => !NAMES.includes(heading as ExtensionName))).toEqual([]);
    expect(headings).toEqual(NAMES);
  });

  it.each(NAMES.map((name) => [name]))('%s states its places as EXTENSIONS does', (name) => {
    const where = /\*\*Where:\*\* ([a-z, ]+?)(?: \(|\.)/.exec(documented.get(name)!);
    expect(where, `a **Where:** line in the ${name} section`).not.toBeNull();
    expect(where![1]!.split(', ')).toEqual([...EXTENSIONS[name].places]);
  });

  it.each(NAMES.map((name) => [name]))('every %s example compiles in a document', async (name) => {
    const blocks = yamlBlocks(documented.get(name)!);
    expect(blocks.length, `a YAML example in the ${name} section`).toBeGreaterThan(0);
    for (const block of blocks) {
      const fragment = parseYaml(block) as Json;
      expect(block).toContain(`${name}:`);
      const compiled = compileDocument(await loadDocument(deepMerge(BASE, fragment)));
      const field = OPERATION_FIELDS[name];
      if (field !== undefined) {
        for (const operationId of operationsCarrying(fragment, name)) {
          expect(compiled.operationsById.get(operationId)!.extensions[field], `${name} on ${operationId}`).not.toBeNull();
        }
      }
      if (name in fragment) {
        const documentField = name === 'x-palisade-rate-limit' ? 'rateLimits' : 'limits';
        expect(compiled.extensions[documentField]).not.toBeNull();
      }
    }
  });

  it('all examples together make one document createPalisade accepts', async () => {
    let document = BASE;
    for (const name of NAMES) for (const block of yamlBlocks(documented.get(name)!)) document = deepMerge(document, parseYaml(block) as Json);
    const palisade = await createPalisade({ document });
    expect(palisade.compiled.operationsById.get('login')!.extensions.bruteForce).not.toBeNull();
  });

  it('shows the current message for a misspelled extension', async () => {
    const quoted = /^ {2}OpenAPI document at \/paths\/~1login\/post\/x-palisade-rate-limt: .*$/m.exec(DOC);
    expect(quoted).not.toBeNull();
    const misspelled = deepMerge(BASE, { paths: { '/login': { post: { 'x-palisade-rate-limt': { limit: 5, window: '1m' } } } } });
    await expect(loadDocument(misspelled).then(compileDocument)).rejects.toThrow(quoted![0].trim());
  });
});
