/**
 * The reference service's field-visibility cases (shared/reference/README.md,
 * "Field visibility"): responses carry only what their schema declares;
 * `internalNote`, `costPrice`, `passwordHash` and `mfaSecret` never leave;
 * `customerEmail` is present only for callers holding `orders:admin`.
 *
 * The stored records hold what a real database would, secrets included,
 * as examples/express-orders/src/store.ts does.
 */

export const NEVER_SENT = ['internalNote', 'costPrice', 'passwordHash', 'mfaSecret'] as const;

export const STORED_ORDER = Object.freeze({
  id: 'ord-0001',
  ownerId: 'user-alice',
  items: [{ sku: 'SKU-001', qty: 1 }],
  total: 10,
  status: 'pending',
  note: null,
  createdAt: '2026-01-01T00:00:00Z',
  customerEmail: 'alice@example.com',
  internalNote: 'margin ok',
  costPrice: 4.2,
});

/** What a caller without `orders:admin` receives for STORED_ORDER. */
export const ORDER_FOR_READER = {
  id: 'ord-0001',
  ownerId: 'user-alice',
  items: [{ sku: 'SKU-001', qty: 1 }],
  total: 10,
  status: 'pending',
  note: null,
  createdAt: '2026-01-01T00:00:00Z',
};

/** What a caller holding `orders:admin` receives for STORED_ORDER. */
export const ORDER_FOR_ADMIN = { ...ORDER_FOR_READER, customerEmail: 'alice@example.com' };

export const STORED_USERS = Object.freeze([
  { id: 'user-alice', username: 'alice', email: 'alice@example.com', role: 'customer', passwordHash: 'c2NyeXB0LWhhc2g=', mfaSecret: 'JBSWY3DPEHPK3PXA' },
  { id: 'user-admin', username: 'admin', email: 'admin@example.com', role: 'admin', passwordHash: 'c2NyeXB0LWhhc2gy', mfaSecret: 'MFRGGZDFMZTWQ2LK' },
]);

export const USERS_SENT = [
  { id: 'user-alice', username: 'alice', email: 'alice@example.com', role: 'customer' },
  { id: 'user-admin', username: 'admin', email: 'admin@example.com', role: 'admin' },
];

export interface ReferenceCase {
  /** Where the case comes from. */
  readonly title: string;
  readonly method: string;
  readonly url: string;
  readonly scopes: readonly string[];
  readonly status: number;
  readonly body: unknown;
  readonly expected: unknown;
}

export const REFERENCE_CASES: readonly ReferenceCase[] = [
  {
    title: 'getOrder as orders:read: declared fields only, no customerEmail',
    method: 'GET',
    url: '/orders/ord-0001',
    scopes: ['orders:read'],
    status: 200,
    body: STORED_ORDER,
    expected: ORDER_FOR_READER,
  },
  {
    title: 'getOrder as orders:read orders:admin: customerEmail included',
    method: 'GET',
    url: '/orders/ord-0001',
    scopes: ['orders:read', 'orders:admin'],
    status: 200,
    body: STORED_ORDER,
    expected: ORDER_FOR_ADMIN,
  },
  {
    title: 'listOrders (OrderList -> items: Order[]) as orders:read',
    method: 'GET',
    url: '/orders',
    scopes: ['orders:read'],
    status: 200,
    body: { items: [STORED_ORDER, { ...STORED_ORDER, id: 'ord-0002', note: 'gift' }], nextCursor: null, debug: { sql: 'select *' } },
    expected: { items: [ORDER_FOR_READER, { ...ORDER_FOR_READER, id: 'ord-0002', note: 'gift' }], nextCursor: null },
  },
  {
    title: 'listOrders as orders:admin: customerEmail in every item',
    method: 'GET',
    url: '/orders',
    scopes: ['orders:read', 'orders:admin'],
    status: 200,
    body: { items: [STORED_ORDER], nextCursor: 'ord0002' },
    expected: { items: [ORDER_FOR_ADMIN], nextCursor: 'ord0002' },
  },
  {
    title: 'createOrder 201 as orders:write',
    method: 'POST',
    url: '/orders',
    scopes: ['orders:write'],
    status: 201,
    body: STORED_ORDER,
    expected: ORDER_FOR_READER,
  },
  {
    title: 'listUsers (User[]) as admin:users: no passwordHash, no mfaSecret',
    method: 'GET',
    url: '/admin/users',
    scopes: ['admin:users'],
    status: 200,
    body: STORED_USERS,
    expected: USERS_SENT,
  },
];
