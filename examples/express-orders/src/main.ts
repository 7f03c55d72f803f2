import type { AddressInfo } from 'node:net';
import { ConfigurationError, readConfig } from './config';
import { createOrdersApp } from './app';

async function main(): Promise<void> {
  const config = readConfig();
  const orders = await createOrdersApp(config);
  const { app, palisade } = orders;
  // The start-up report (compiled operations, undeclared routes) goes to
  // stderr; stdout carries the ready line (and the audit trail when
  // AUDIT_LOG is not set).
  process.stderr.write(`${palisade.formatReport()}\n`);

  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  process.stdout.write(`express-orders ready on http://${host}:${port}\n`);

  let stopping = false;
  // Once stopping, answers close their connection, so keep-alive clients
  // do not hold the shutdown open. Ahead of the app's own listener: many
  // answers (a refusal, /health) are complete before it returns.
  server.prependListener('request', (_req, res) => {
    if (stopping) res.setHeader('connection', 'close');
  });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`express-orders: ${signal}, finishing in-flight requests\n`);
    // close() stops accepting and waits for in-flight requests; idle
    // keep-alive sockets would otherwise hold it open.
    server.close(async () => {
      await orders.close();
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigurationError || (error as { code?: string }).code?.startsWith('ERR_PALISADE') ? (error as Error).message : String((error as Error).stack ?? error);
  process.stderr.write(`express-orders: cannot start: ${message}\n`);
  process.exit(1);
});
