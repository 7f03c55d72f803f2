// A synthetic OpenAPI 3.1 document of N operations (1,000 by default) and a
// request mix spread over all of it.
//
// The document is 100 resources (`/r0` ... `/r99`) of 10 operations each,
// every one with an operationId, scopes, parameters and response schemas
// through shared components, so compiling it costs what a real document of
// that size costs. Per resource `rN`:
//
//   GET, POST              /rN/items
//   GET, PATCH, DELETE     /rN/items/{itemId}
//   GET                    /rN/items/{itemId}/sub0
//   GET, PUT               /rN/items/{itemId}/sub1/{subId}
//   POST                   /rN/items/{itemId}/sub2/{subId}/actions/{actionId}
//   GET                    /rN/search
//
// Every resource has the same shape, so a router that scanned routes one
// by one would be slowest on the last resource; the request mix hits
// resources from first to last at every depth to show the cost does not
// grow with the number of operations.

export const OPERATIONS_PER_RESOURCE = 10;

const ITEM_ID = { name: 'itemId', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9-]{1,64}$' } };
const SUB_ID = { name: 'subId', in: 'path', required: true, schema: { type: 'string', maxLength: 64 } };
const ACTION_ID = { name: 'actionId', in: 'path', required: true, schema: { type: 'string', maxLength: 64 } };

const problem = { $ref: '#/components/responses/Problem' };
const itemResponse = (description) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } },
});
const itemBody = {
  required: true,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/NewItem' } } },
};

/** @returns {{ document: object, operationCount: number }} */
export function generateDocument(operationCount = 1000) {
  if (operationCount % OPERATIONS_PER_RESOURCE !== 0) throw new Error(`operationCount must be a multiple of ${OPERATIONS_PER_RESOURCE}`);
  const resources = operationCount / OPERATIONS_PER_RESOURCE;
  const scopes = {};
  const paths = {};
  for (let n = 0; n < resources; n++) {
    scopes[`r${n}:read`] = `Read r${n}`;
    scopes[`r${n}:write`] = `Write r${n}`;
    const read = [{ oauth2: [`r${n}:read`] }];
    const write = [{ oauth2: [`r${n}:write`] }];
    const op = (id, security, extra) => ({
      operationId: `r${n}_${id}`,
      security,
      ...extra,
      responses: { '200': itemResponse('OK'), default: problem },
    });
    paths[`/r${n}/items`] = {
      get: op('list', read, {
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } },
          { name: 'cursor', in: 'query', schema: { type: 'string', maxLength: 64 } },
        ],
      }),
      post: op('create', write, { requestBody: itemBody }),
    };
    paths[`/r${n}/items/{itemId}`] = {
      parameters: [ITEM_ID],
      get: op('get', read),
      patch: op('update', write, { requestBody: itemBody }),
      delete: op('delete', write),
    };
    paths[`/r${n}/items/{itemId}/sub0`] = {
      parameters: [ITEM_ID],
      get: op('sub0', read),
    };
    paths[`/r${n}/items/{itemId}/sub1/{subId}`] = {
      parameters: [ITEM_ID, SUB_ID],
      get: op('sub1Get', read),
      put: op('sub1Put', write, { requestBody: itemBody }),
    };
    paths[`/r${n}/items/{itemId}/sub2/{subId}/actions/{actionId}`] = {
      parameters: [ITEM_ID, SUB_ID, ACTION_ID],
      post: op('action', write),
    };
    paths[`/r${n}/search`] = {
      get: op('search', read, { parameters: [{ name: 'q', in: 'query', required: true, schema: { type: 'string', minLength: 1, maxLength: 200 } }] }),
    };
  }
  const document = {
    openapi: '3.1.0',
    info: { title: `Generated API (${operationCount} operations)`, version: '1.0.0' },
    security: [{ oauth2: [] }],
    components: {
      securitySchemes: {
        oauth2: {
          type: 'oauth2',
          flows: { clientCredentials: { tokenUrl: 'https://issuer.example/token', scopes } },
        },
      },
      schemas: {
        Item: {
          type: 'object',
          required: ['id', 'name'],
          properties: {
            id: { type: 'string' },
            name: { type: 'string', maxLength: 200 },
            tags: { type: 'array', items: { type: 'string' }, maxItems: 20 },
            createdAt: { type: 'string', format: 'date-time' },
          },
        },
        NewItem: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            tags: { type: 'array', items: { type: 'string' }, maxItems: 20 },
          },
        },
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status'],
          properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' } },
        },
      },
      responses: {
        Problem: { description: 'An error', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
    },
    paths,
  };
  return { document, operationCount };
}

/**
 * Requests spread over the generated document: every path shape, on
 * resources from the first to the last, with and without a query.
 * `expect` is the operationId each must reach.
 */
export function generatedRequests(operationCount = 1000) {
  const last = operationCount / OPERATIONS_PER_RESOURCE - 1;
  const pick = [0, Math.round(last / 4), Math.round(last / 2), Math.round((3 * last) / 4), last];
  const shapes = [
    (n) => ['GET', `/r${n}/items`, 'list'],
    (n) => ['POST', `/r${n}/items`, 'create'],
    (n) => ['GET', `/r${n}/items/item-${n}7`, 'get'],
    (n) => ['PATCH', `/r${n}/items/item-${n}`, 'update'],
    (n) => ['GET', `/r${n}/items/it${n}/sub0`, 'sub0'],
    (n) => ['PUT', `/r${n}/items/it${n}/sub1/s-42`, 'sub1Put'],
    (n) => ['POST', `/r${n}/items/it${n}/sub2/s-9/actions/a-${n}`, 'action'],
    (n) => ['GET', `/r${n}/search?q=widget&limit=${n}`, 'search'],
  ];
  const requests = [];
  // Interleave resources and shapes so consecutive requests differ in both.
  for (let s = 0; s < shapes.length; s++) {
    for (let p = 0; p < pick.length; p++) {
      const n = pick[(s + p) % pick.length];
      const [method, url, id] = shapes[s](n);
      requests.push({ method, url, expect: `r${n}_${id}` });
    }
  }
  return requests;
}
