import { createAuditTrail, type AuditAlert } from '@palisade/audit';
import { deny, type Guard } from '@palisade/core';
import { getPalisadeContext, mountPalisade, type MountedPalisade } from '@palisade/express';
import { createJwtAuthentication, RedisRevocationList } from '@palisade/jwt-auth';
import { createRateLimiter, createRateLimitStore } from '@palisade/rate-limit';
import { createResponseFilter } from '@palisade/response-filter';
import { createSchemaValidator, createUpstreamClient, UpstreamError } from '@palisade/schema-validator';
import { createScopeGuard, ownerOf } from '@palisade/scope-guard';
import { createSsrfGuard } from '@palisade/ssrf';
import express, { type Express, type Request } from 'express';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import type { OrdersConfig } from './config';
import { OrdersStore, type LineItem, type Order } from './store';

export const DOCUMENT_PATH = fileURLToPath(new URL('../openapi.yaml', import.meta.url));

export interface OrdersApp {
  readonly app: Express;
  readonly palisade: MountedPalisade;
  readonly store: OrdersStore;
  /** Closes Palisade's guards and the Redis connection, if any. */
  close(): Promise<void>;
}

/**
 * The reference Orders API on Express 5. Handlers hold business logic
 * only: routing, authentication, authorization, validation, filtering and
 * audit are Palisade's, configured by openapi.yaml.
 */
export interface OrdersAppOptions {
  readonly store?: OrdersStore;
  readonly extraGuards?: readonly Guard[];
  /** Real-time notification of anomaly alerts (a webhook or pager in production). Default: a line on stderr. */
  readonly onAlert?: (alert: AuditAlert) => void;
  /** Per-minute limits, for load tests that must measure the limiter without being refused by it. Default: the reference's 120 and 600. */
  readonly limitsPerMinute?: { readonly anonymous: number; readonly authenticated: number };
}

export async function createOrdersApp(config: OrdersConfig, options: OrdersAppOptions = {}): Promise<OrdersApp> {
  const store = options.store ?? new OrdersStore();
  const app = express();
  // Every counter (limits, brute force, quotas, anomaly detection and
  // blocks) lives in Redis when REDIS_URL is set, shared by every instance;
  // commands fail fast so an outage falls back to in-memory limits instead
  // of hanging.
  const redis = config.redisUrl === null ? null : new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis?.on('error', () => {});
  const counters = createRateLimitStore(redis === null ? {} : { redis });
  // The tamper-evident trail: one hashed line per request, security events
  // and alerts; flushed on SIGTERM.
  const audit = createAuditTrail({
    destination: config.auditLog ?? 'stdout',
    store: counters,
    onAlert: options.onAlert ?? ((alert) => process.stderr.write(`express-orders: ALERT ${alert.alert} sub=${alert.sub ?? '-'} ip=${alert.ip ?? '-'}\n`)),
  });
  counters.onEvent((event) => audit.record(event));
  const authentication = createJwtAuthentication({
    onEvent: (event) => audit.record(event),
    // Revocations are shared by every instance through Redis when it is set.
    ...(redis === null ? {} : { revocation: await RedisRevocationList.connect(redis) }),
    // So are used DPoP proofs: one replayed at another instance is refused.
    dpop: { store: counters },
    issuers: [
      {
        issuer: config.oidcIssuer,
        audience: config.audience,
        tokenTypes: ['at+jwt'],
        clockTolerance: '30s',
        // An unknown kid refetches the issuer's keys at most every 30 s.
        jwksCooldown: '30s',
      },
    ],
  });
  const authorization = createScopeGuard({ loaders: { order: (id) => store.orders.get(id) ?? null } });
  const rateLimits = createRateLimiter({
    store: counters,
    trustProxy: config.trustProxy === 'none' || config.trustProxy === 'loopback' ? config.trustProxy : config.trustProxy.split(',').map((entry) => entry.trim()).filter(Boolean),
    anonymous: { limit: options.limitsPerMinute?.anonymous ?? 120, window: '1m' },
    authenticated: { limit: options.limitsPerMinute?.authenticated ?? 600, window: '1m' },
  });
  const palisade = await mountPalisade(app, {
    document: DOCUMENT_PATH,
    cors: { origins: config.corsOrigins },
    // Only fields the response schemas declare leave (customerEmail only
    // for orders:admin); the store's secrets never do.
    // Bodies, parameters and content types are checked against the
    // document (mass assignment, sizes, depth) before any handler runs.
    // Webhook URLs must be https and resolve only to public addresses
    // (after the validator, which parses the body it reads).
    // Login brute force and the checkout quota come from openapi.yaml.
    guards: [authentication, authorization, rateLimits, audit, createResponseFilter(), createSchemaValidator({ onWarning: (warning) => process.stderr.write(`express-orders: schema warning ${warning.code} at ${warning.pointer}: ${warning.message}\n`) }), createSsrfGuard(), ...(options.extraGuards ?? [])],
  });
  // Upstream data is validated like user input: 2 s, 64 KiB, Invoice only.
  const billing = createUpstreamClient(palisade.engine, { timeoutMs: 2000, maxBytes: 65_536, schemas: ['#/components/schemas/Invoice'] });

  const callerId = (req: Request) => ownerOf(getPalisadeContext(req));
  // The ownership check already loaded the order (and refused other
  // callers' orders); operations without one look it up here.
  const findOrder = (req: Request): Order => {
    const order = (getPalisadeContext(req).resource as Order | null) ?? store.orders.get(String(req.params.orderId));
    if (order === undefined) throw deny('not_found_or_not_owner');
    return order;
  };

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.post('/login', (req, res) => {
    const { username, password } = req.body as { username: string; password: string };
    if (!store.checkPassword(username, password)) throw deny('bad_credentials');
    res.json({ ok: true });
  });

  app.get('/orders', (req, res) => {
    // Validated by the document: an integer from 1 to 100, default 20.
    const limit = Number(req.query.limit ?? 20);
    const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : '';
    const status = typeof req.query.status === 'string' ? req.query.status : null;
    const mine = [...store.orders.values()].filter((order) => order.ownerId === callerId(req) && (status === null || order.status === status));
    const start = cursor === '' ? 0 : mine.findIndex((order) => order.id.replace('-', '') === cursor) + 1;
    const items = mine.slice(start, start + limit);
    const last = items[items.length - 1];
    res.json({ items, nextCursor: start + limit < mine.length && last ? last.id.replace('-', '') : null });
  });

  app.post('/orders', (req, res) => {
    const { items, note } = req.body as { items: LineItem[]; note?: string };
    res.status(201).json(store.createOrder(callerId(req), items, note));
  });

  app.get('/orders/:orderId', (req, res) => {
    res.json(findOrder(req));
  });

  app.patch('/orders/:orderId', (req, res) => {
    const order = findOrder(req);
    order.note = (req.body as { note: string }).note;
    res.json(order);
  });

  app.delete('/orders/:orderId', (req, res) => {
    const order = findOrder(req);
    store.orders.delete(order.id);
    res.status(204).end();
  });

  app.post('/orders/:orderId/checkout', (req, res) => {
    const order = findOrder(req);
    order.status = 'paid';
    res.json(order);
  });

  app.get('/orders/:orderId/invoice', async (req, res) => {
    const order = findOrder(req);
    if (config.billingUrl === null) throw deny('upstream_unavailable', { detail: 'Billing is not configured.' });
    try {
      const invoice = await billing.fetchValidated({ url: `${config.billingUrl.replace(/\/$/, '')}/invoices/${encodeURIComponent(order.id)}`, schema: '#/components/schemas/Invoice' });
      res.json(invoice);
    } catch (error) {
      throw error instanceof UpstreamError ? error.denial : error;
    }
  });

  app.post('/webhooks', (req, res) => {
    const { url, events } = req.body as { url: string; events: string[] };
    res.status(201).json(store.createWebhook(callerId(req), url, events));
  });

  app.get('/admin/users', (_req, res) => {
    res.json(store.users);
  });

  // A leftover debugging route the document does not declare. Palisade
  // keeps it unreachable (404) and lists it as undeclared at start-up.
  app.get('/internal/debug', (_req, res) => {
    res.json({ env: process.env, users: store.users });
  });

  return {
    app,
    palisade,
    store,
    close: async () => {
      await palisade.close();
      await counters.close();
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
