/**
 * Request vectors for the reference service (shared/reference/README.md,
 * test/fixtures/orders-api.yaml): the attack, the near miss that must pass.
 * Each entry names the README rule it comes from. Written once, run by
 * every harness (in process, over node:http; the Express adapter's tests
 * can run them too).
 */
export interface RequestVector {
  readonly title: string;
  readonly method: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  /** A string is sent as is (with the given headers); an object as JSON. */
  readonly body?: string | object;
  readonly status: number;
  /** The audit reason, for refusals. */
  readonly reason?: string;
  /** A pointer the problem's `errors` must list. */
  readonly pointer?: string;
}

const ITEM = { sku: 'SKU-001', qty: 1 };
const JSON_TYPE = { 'content-type': 'application/json' };

/** A NewOrder body of exactly `size` bytes: valid JSON padded with spaces. */
export function newOrderOfSize(size: number): string {
  const text = JSON.stringify({ items: [ITEM], note: 'padded' });
  return `${text.slice(0, -1)}${' '.repeat(size - text.length)}}`;
}

/** `depth` nested arrays inside a JSON object member: `{"a":[[...]]}` has depth `depth`. */
export function nestedBody(depth: number): string {
  return `{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
}

export const MASS_ASSIGNMENT: readonly RequestVector[] = [
  ...['status', 'ownerId', 'total', 'role', 'isAdmin', 'id', 'createdAt'].flatMap((field): RequestVector[] => [
    { title: `README "Mass assignment": createOrder refuses ${field}`, method: 'POST', url: '/orders', body: { items: [ITEM], [field]: field === 'total' ? 0 : 'x' }, status: 400, reason: 'schema_invalid', pointer: `/body/${field}` },
    { title: `README "Mass assignment": updateOrder refuses ${field}`, method: 'PATCH', url: '/orders/ord-0001', body: { note: 'n', [field]: field === 'isAdmin' ? true : 'x' }, status: 400, reason: 'schema_invalid', pointer: `/body/${field}` },
  ]),
  { title: 'README "Mass assignment": __proto__ at the top', method: 'POST', url: '/orders', headers: JSON_TYPE, body: '{"items":[{"sku":"SKU-001","qty":1}],"__proto__":{"isAdmin":true}}', status: 400, reason: 'schema_invalid', pointer: '/body/__proto__' },
  { title: 'README "Mass assignment": __proto__ inside an item', method: 'POST', url: '/orders', headers: JSON_TYPE, body: '{"items":[{"sku":"SKU-001","qty":1,"__proto__":{"isAdmin":true}}]}', status: 400, reason: 'schema_invalid', pointer: '/body/items/0/__proto__' },
  { title: 'README "Mass assignment": constructor.prototype', method: 'PATCH', url: '/orders/ord-0001', headers: JSON_TYPE, body: '{"note":"n","constructor":{"prototype":{"isAdmin":true}}}', status: 400, reason: 'schema_invalid', pointer: '/body/constructor' },
  { title: 'README "Mass assignment": prototype key', method: 'PATCH', url: '/orders/ord-0001', headers: JSON_TYPE, body: '{"note":"n","prototype":{}}', status: 400, reason: 'schema_invalid', pointer: '/body/prototype' },
  { title: 'README "Mass assignment": escaped \\u005f_proto__ is the same key', method: 'PATCH', url: '/orders/ord-0001', headers: JSON_TYPE, body: '{"note":"n","\\u005f_proto__":{}}', status: 400, reason: 'schema_invalid', pointer: '/body/__proto__' },
  { title: 'README "Mass assignment": login refuses role', method: 'POST', url: '/login', body: { username: 'alice', password: 'alice-pass-123', role: 'admin' }, status: 400, reason: 'schema_invalid', pointer: '/body/role' },
  { title: 'README "Mass assignment": webhook refuses ownerId', method: 'POST', url: '/webhooks', body: { url: 'https://93.184.215.14/hook', events: ['order.paid'], ownerId: 'user-bob' }, status: 400, reason: 'schema_invalid', pointer: '/body/ownerId' },
];

export const NEAR_MISSES: readonly RequestVector[] = [
  { title: 'near miss: a note with an apostrophe', method: 'POST', url: '/orders', body: { items: [ITEM], note: "O'Brien's order" }, status: 200 },
  { title: 'near miss: a note in non-Latin letters', method: 'POST', url: '/orders', body: { items: [ITEM], note: 'Zoë 李雷 Ελένη' }, status: 200 },
  { title: 'near miss: a note with SQL words and markup', method: 'PATCH', url: '/orders/ord-0001', body: { note: "select * from orders where note < 'x'; <b>" }, status: 200 },
  { title: 'near miss: a note of exactly maxLength 500', method: 'PATCH', url: '/orders/ord-0001', body: { note: 'n'.repeat(500) }, status: 200 },
  { title: 'near miss: 500 three-byte characters are 500 characters', method: 'PATCH', url: '/orders/ord-0001', body: { note: '李'.repeat(500) }, status: 200 },
  { title: 'near miss: 50 items (maxItems)', method: 'POST', url: '/orders', body: { items: Array.from({ length: 50 }, () => ITEM) }, status: 200 },
  { title: 'near miss: qty 100 (maximum)', method: 'POST', url: '/orders', body: { items: [{ sku: 'SKU-001', qty: 100 }] }, status: 200 },
  { title: 'README "Request bodies": a body of exactly 16384 bytes', method: 'POST', url: '/orders', headers: JSON_TYPE, body: newOrderOfSize(16384), status: 200 },
  { title: 'README "Request bodies": application/json; charset=utf-8', method: 'POST', url: '/orders', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ items: [ITEM] }), status: 200 },
  { title: 'README "Request bodies": charset spelled UTF-8, quoted', method: 'POST', url: '/orders', headers: { 'content-type': 'Application/JSON;charset="UTF-8"' }, body: JSON.stringify({ items: [ITEM] }), status: 200 },
  { title: 'README "Parameters": limit=100', method: 'GET', url: '/orders?limit=100', status: 200 },
  { title: 'README "Parameters": limit=1', method: 'GET', url: '/orders?limit=1', status: 200 },
  { title: 'README "Parameters": status=paid', method: 'GET', url: '/orders?status=paid&cursor=abc_-1', status: 200 },
  { title: 'README "Parameters": orderId ord-0040', method: 'GET', url: '/orders/ord-0040', status: 200 },
  { title: 'login with a well-formed username', method: 'POST', url: '/login', body: { username: 'alice', password: "p@ss w0rd' OR 1=1 --" }, status: 200 },
];

export const REFUSALS: readonly RequestVector[] = [
  { title: 'README "Request bodies": 16385 bytes is 413', method: 'POST', url: '/orders', headers: JSON_TYPE, body: newOrderOfSize(16385), status: 413, reason: 'payload_too_large' },
  { title: 'README "Request bodies": note of 501 characters', method: 'PATCH', url: '/orders/ord-0001', body: { note: 'n'.repeat(501) }, status: 400, reason: 'schema_invalid', pointer: '/body/note' },
  { title: 'README "Request bodies": text/plain is 415', method: 'POST', url: '/orders', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ items: [ITEM] }), status: 415, reason: 'unsupported_media_type' },
  { title: 'README "Request bodies": charset=latin1 is 415', method: 'POST', url: '/orders', headers: { 'content-type': 'application/json; charset=latin1' }, body: JSON.stringify({ items: [ITEM] }), status: 415, reason: 'unsupported_media_type' },
  { title: 'README "Request bodies": a body without Content-Type is 415', method: 'POST', url: '/orders', body: JSON.stringify({ items: [ITEM] }), status: 415, reason: 'unsupported_media_type' },
  { title: 'README "Request bodies": form data where JSON is declared is 415', method: 'POST', url: '/orders', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'items=1', status: 415, reason: 'unsupported_media_type' },
  { title: 'README "Request bodies": malformed JSON', method: 'POST', url: '/orders', headers: JSON_TYPE, body: '{"items":[{"sku":"SKU-001","qty":1}]', status: 400, reason: 'body_malformed' },
  { title: 'README "Request bodies": duplicate keys', method: 'POST', url: '/orders', headers: JSON_TYPE, body: '{"items":[{"sku":"SKU-001","qty":1}],"note":"a","note":"b"}', status: 400, reason: 'body_malformed' },
  { title: 'README "Request bodies": nesting of 33', method: 'POST', url: '/orders', headers: JSON_TYPE, body: nestedBody(33), status: 400, reason: 'schema_invalid', pointer: '/body' },
  { title: 'required body missing', method: 'POST', url: '/orders', status: 400, reason: 'schema_invalid', pointer: '/body' },
  { title: 'required body empty', method: 'POST', url: '/orders', headers: JSON_TYPE, body: '', status: 400, reason: 'schema_invalid', pointer: '/body' },
  { title: 'body on an operation that declares none', method: 'POST', url: '/orders/ord-0001/checkout', body: { status: 'paid' }, status: 400, reason: 'schema_invalid', pointer: '/body' },
  { title: 'body on a GET', method: 'GET', url: '/orders/ord-0001', body: { x: 1 }, status: 400, reason: 'schema_invalid', pointer: '/body' },
  { title: 'an empty items list (minItems 1)', method: 'POST', url: '/orders', body: { items: [] }, status: 400, reason: 'schema_invalid', pointer: '/body/items' },
  { title: 'qty 0', method: 'POST', url: '/orders', body: { items: [{ sku: 'SKU-001', qty: 0 }] }, status: 400, reason: 'schema_invalid', pointer: '/body/items/0/qty' },
  { title: 'qty as a string is not converted in a body', method: 'POST', url: '/orders', body: { items: [{ sku: 'SKU-001', qty: '1' }] }, status: 400, reason: 'schema_invalid', pointer: '/body/items/0/qty' },
  { title: 'an empty patch (minProperties 1)', method: 'PATCH', url: '/orders/ord-0001', body: {}, status: 400, reason: 'schema_invalid', pointer: '/body' },
  { title: 'README "Parameters": limit=0', method: 'GET', url: '/orders?limit=0', status: 400, reason: 'schema_invalid', pointer: '/query/limit' },
  { title: 'README "Parameters": limit=101', method: 'GET', url: '/orders?limit=101', status: 400, reason: 'schema_invalid', pointer: '/query/limit' },
  { title: 'README "Parameters": limit=abc', method: 'GET', url: '/orders?limit=abc', status: 400, reason: 'schema_invalid', pointer: '/query/limit' },
  { title: 'README "Parameters": limit=1.5', method: 'GET', url: '/orders?limit=1.5', status: 400, reason: 'schema_invalid', pointer: '/query/limit' },
  { title: 'README "Parameters": limit=0x10', method: 'GET', url: '/orders?limit=0x10', status: 400, reason: 'schema_invalid', pointer: '/query/limit' },
  { title: 'README "Parameters": empty limit', method: 'GET', url: '/orders?limit=', status: 400, reason: 'schema_invalid', pointer: '/query/limit' },
  { title: 'README "Parameters": repeated limit', method: 'GET', url: '/orders?limit=10&limit=20', status: 400, reason: 'schema_invalid', pointer: '/query/limit' },
  { title: 'README "Parameters": repeated limit, both valid and equal', method: 'GET', url: '/orders?limit=10&limit=10', status: 400, reason: 'schema_invalid', pointer: '/query/limit' },
  { title: 'README "Parameters": status outside its enum', method: 'GET', url: '/orders?status=refunded', status: 400, reason: 'schema_invalid', pointer: '/query/status' },
  { title: 'README "Parameters": status in another case', method: 'GET', url: '/orders?status=PAID', status: 400, reason: 'schema_invalid', pointer: '/query/status' },
  { title: 'README "Parameters": cursor with a quote', method: 'GET', url: "/orders?cursor=a'b", status: 400, reason: 'schema_invalid', pointer: '/query/cursor' },
  { title: 'an undeclared query parameter', method: 'GET', url: '/orders?admin=true', status: 400, reason: 'schema_invalid', pointer: '/query/admin' },
  { title: 'a query that is not percent-encoded UTF-8', method: 'GET', url: '/orders?limit=%ZZ', status: 400, reason: 'schema_invalid', pointer: '/query' },
  { title: 'README "Parameters": orderId must match ^ord-[0-9]{4}$', method: 'GET', url: '/orders/ord-1', status: 400, reason: 'schema_invalid', pointer: '/path/orderId' },
  { title: 'README "Parameters": orderId in another case', method: 'GET', url: '/orders/ORD-0001', status: 400, reason: 'schema_invalid', pointer: '/path/orderId' },
  { title: 'webhook with an unknown event', method: 'POST', url: '/webhooks', body: { url: 'https://93.184.215.14/hook', events: ['order.deleted'] }, status: 400, reason: 'schema_invalid', pointer: '/body/events/0' },
  { title: 'webhook with repeated events', method: 'POST', url: '/webhooks', body: { url: 'https://93.184.215.14/hook', events: ['order.paid', 'order.paid'] }, status: 400, reason: 'schema_invalid', pointer: '/body/events' },
  { title: 'webhook url that is not a URI', method: 'POST', url: '/webhooks', body: { url: 'not a url', events: ['order.paid'] }, status: 400, reason: 'schema_invalid', pointer: '/body/url' },
  { title: 'login username with a quote', method: 'POST', url: '/login', body: { username: "alice' --", password: 'x' }, status: 400, reason: 'schema_invalid', pointer: '/body/username' },
];
