import { lookup } from 'node:dns/promises';

/**
 * Resolves a host name to every address it has. Rejecting, or returning no
 * address, means "does not resolve".
 */
export type Resolver = (hostname: string) => Promise<readonly string[]>;

/**
 * The system resolver (getaddrinfo, so `/etc/hosts` counts), asked for
 * every A and AAAA record: the connection may go to any of them, so every
 * one must be checked.
 */
export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true })).map((entry) => entry.address);

export type Resolution =
  | { readonly ok: true; readonly addresses: readonly string[] }
  | { readonly ok: false; readonly why: string; readonly cause: unknown };

/**
 * Runs the resolver with a time limit. getaddrinfo cannot be cancelled, so
 * a lookup that outlives the limit is left to finish on its own (its result
 * ignored), which is why the timer only races it.
 */
export function resolveWithin(resolver: Resolver, hostname: string, timeoutMs: number): Promise<Resolution> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Resolution>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, why: `DNS did not answer within ${timeoutMs} ms`, cause: null }), timeoutMs);
    timer.unref?.();
  });
  let attempt: Promise<Resolution>;
  try {
    attempt = Promise.resolve(resolver(hostname)).then(
      (addresses): Resolution => (Array.isArray(addresses) ? { ok: true, addresses } : { ok: false, why: 'the resolver returned no address list', cause: null }),
      (error: unknown): Resolution => ({ ok: false, why: `DNS lookup failed (${describeDnsError(error)})`, cause: error }),
    );
  } catch (error) {
    attempt = Promise.resolve({ ok: false, why: `DNS lookup failed (${describeDnsError(error)})`, cause: error });
  }
  return Promise.race([attempt, timeout]).finally(() => clearTimeout(timer));
}

function describeDnsError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : 'unknown error';
}
