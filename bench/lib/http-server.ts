/**
 * A server for the http.* benchmarks, run in its own process so it does not
 * share a core with the load generator: `palisade` is examples/express-orders
 * with its full chain; `bare-express` is the same two handlers on Express
 * with no security at all (what the handlers cost by themselves).
 *
 *   node --import tsx bench/lib/http-server.ts palisade|bare-express
 *
 * Prints `listening <port>` when ready. Reads OIDC_ISSUER for palisade.
 */
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { createOrdersApp } from '../../examples/express-orders/src/app';
import { readConfig } from '../../examples/express-orders/src/config';
import { OrdersStore, type LineItem } from '../../examples/express-orders/src/store';

async function bareExpress() {
  const store = new OrdersStore();
  const app = express();
  app.use(express.json({ limit: '16kb' }));
  app.get('/orders/:orderId', (req, res) => {
    const order = store.orders.get(req.params.orderId);
    if (order === undefined) return res.status(404).end();
    res.json(order);
  });
  app.post('/orders', (req, res) => {
    const { items, note } = req.body as { items: LineItem[]; note?: string };
    res.status(201).json(store.createOrder('user-alice', items, note));
  });
  return app;
}

const mode = process.argv[2];
// The full chain runs, limiter included; its limits are raised so that the
// load generator measures the checks instead of being refused by them. The
// audit trail goes to a file, as in production.
const app =
  mode === 'palisade'
    ? (
        await createOrdersApp(readConfig({ OIDC_ISSUER: process.env.OIDC_ISSUER, PORT: '0', AUDIT_LOG: join(mkdtempSync(join(tmpdir(), 'palisade-bench-')), 'audit.log') }), {
          limitsPerMinute: { anonymous: 1e9, authenticated: 1e9 },
        })
      ).app
    : await bareExpress();
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
// The bench asks for this process's CPU time around each load window.
process.on('message', () => {
  const usage = process.cpuUsage();
  process.send?.({ cpuMicros: usage.user + usage.system });
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
