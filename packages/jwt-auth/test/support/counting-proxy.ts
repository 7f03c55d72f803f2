import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP front for one upstream (the test provider), counting the
 * requests per path it forwards: point `jwksUri` at it to count JWKS
 * fetches. Forwards GET only, which is all a key set does.
 */
export interface CountingProxy {
  readonly origin: string;
  /** Requests forwarded for `path` (all paths when omitted). */
  count(path?: string): number;
  reset(): void;
  stop(): Promise<void>;
}

export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://proxy').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    fetch(`${upstream}${req.url ?? '/'}`, { headers: { accept: req.headers.accept ?? '*/*' } })
      .then(async (response) => {
        res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'application/octet-stream' });
        res.end(Buffer.from(await response.arrayBuffer()));
      })
      .catch(() => {
        res.writeHead(502);
        res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    count: (path) => (path === undefined ? [...counts.values()].reduce((sum, value) => sum + value, 0) : counts.get(path) ?? 0),
    reset: () => counts.clear(),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
