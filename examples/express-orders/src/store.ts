import { scryptSync, timingSafeEqual } from 'node:crypto';

export interface LineItem {
  sku: string;
  qty: number;
}

export interface Order {
  id: string;
  ownerId: string;
  items: LineItem[];
  total: number;
  status: 'pending' | 'paid' | 'shipped' | 'cancelled';
  note: string | null;
  createdAt: string;
  customerEmail: string;
  internalNote: string;
  costPrice: number;
}

export interface User {
  id: string;
  username: string;
  email: string;
  role: 'customer' | 'admin';
  passwordHash: string;
  mfaSecret: string;
}

export interface Webhook {
  id: string;
  ownerId: string;
  url: string;
  events: string[];
}

// A fixed salt keeps the seed identical at every start; real services
// use a random salt per user.
const SEED_SALT = 'palisade-example-seed';
const hashPassword = (password: string) => scryptSync(password, SEED_SALT, 32).toString('base64');

/**
 * The in-memory data of the reference service, seeded identically at every
 * start. It stores what a real database would, secrets included: keeping
 * them out of responses is Palisade's job, not the handlers'.
 */
export class OrdersStore {
  readonly users: User[];
  readonly orders = new Map<string, Order>();
  readonly webhooks: Webhook[] = [];
  #nextOrder = 41;
  #nextWebhook = 1;

  constructor() {
    this.users = [
      { id: 'user-alice', username: 'alice', email: 'alice@example.com', role: 'customer', passwordHash: hashPassword('alice-pass-123'), mfaSecret: 'JBSWY3DPEHPK3PXA' },
      { id: 'user-bob', username: 'bob', email: 'bob@example.com', role: 'customer', passwordHash: hashPassword('bob-pass-123'), mfaSecret: 'KRSXG5CTMVRXEZLU' },
      { id: 'user-admin', username: 'admin', email: 'admin@example.com', role: 'admin', passwordHash: hashPassword('admin-pass-123'), mfaSecret: 'MFRGGZDFMZTWQ2LK' },
    ];
    for (let n = 1; n <= 40; n++) {
      const owner = n <= 20 ? this.users[0]! : this.users[1]!;
      const id = `ord-${String(n).padStart(4, '0')}`;
      this.orders.set(id, {
        id,
        ownerId: owner.id,
        items: [{ sku: 'SKU-001', qty: 1 }],
        total: 10,
        status: 'pending',
        note: null,
        createdAt: '2026-01-01T00:00:00Z',
        customerEmail: owner.email,
        internalNote: 'margin ok',
        costPrice: 4.2,
      });
    }
  }

  /** True when the username exists and the password is its password; constant-time on the hash. */
  checkPassword(username: string, password: string): boolean {
    const user = this.users.find((candidate) => candidate.username === username);
    const expected = Buffer.from(user?.passwordHash ?? hashPassword('no such user, same cost'), 'base64');
    const actual = Buffer.from(hashPassword(password), 'base64');
    return timingSafeEqual(expected, actual) && user !== undefined;
  }

  emailOf(userId: string): string {
    return this.users.find((user) => user.id === userId)?.email ?? `${userId}@users.invalid`;
  }

  createOrder(ownerId: string, items: LineItem[], note: string | undefined): Order {
    const id = `ord-${String(this.#nextOrder++).padStart(4, '0')}`;
    const order: Order = {
      id,
      ownerId,
      items,
      total: 10 * items.reduce((sum, item) => sum + item.qty, 0),
      status: 'pending',
      note: note ?? null,
      createdAt: new Date().toISOString(),
      customerEmail: this.emailOf(ownerId),
      internalNote: 'margin ok',
      costPrice: 4.2,
    };
    this.orders.set(id, order);
    return order;
  }

  createWebhook(ownerId: string, url: string, events: string[]): Webhook {
    const webhook = { id: `wh-${String(this.#nextWebhook++).padStart(4, '0')}`, ownerId, url, events };
    this.webhooks.push(webhook);
    return webhook;
  }
}
