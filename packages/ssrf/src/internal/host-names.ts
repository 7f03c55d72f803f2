/**
 * Host names as `allowHosts` / `denyHosts` take them: lower-case ASCII
 * (punycode for international names), no trailing dot, optionally `*.` in
 * front for "any subdomain" (the apex itself is not included).
 */
export const HOST_PATTERN_SOURCE = '^(\\*\\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$';

/** Compiles a host list once into an exact-name set and a suffix list. */
export function compileHostList(patterns: readonly string[]): (host: string) => boolean {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const pattern of patterns) {
    if (pattern.startsWith('*.')) suffixes.push(pattern.slice(1));
    else exact.add(pattern);
  }
  return (host) => {
    if (exact.has(host)) return true;
    for (let i = 0; i < suffixes.length; i++) if (host.endsWith(suffixes[i]!)) return true;
    return false;
  };
}

/**
 * RFC 6761 section 6.3: `localhost` and every name under it are loopback,
 * and resolvers may answer them without asking DNS. Refused by name, before
 * any lookup.
 */
export function isLocalhostName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

// What the WHATWG parser turns into an IPv4 address: a last label that is
// all digits, or 0x followed by hex digits. A host it left as a name must
// never look like that; if one does, two parsers disagree and we refuse.
const NUMERIC_LABEL = /^(?:\d+|0x[0-9a-f]*)$/;

/** Why a host name (already lower-cased, trailing dot removed) is malformed, or null. */
export function malformedHostName(host: string): string | null {
  if (host === '') return 'the host is empty';
  if (host.length > 253) return 'the host name is longer than 253 characters';
  const labels = host.split('.');
  for (const label of labels) {
    if (label === '') return 'the host name has an empty label';
    if (label.length > 63) return 'a label of the host name is longer than 63 characters';
  }
  if (NUMERIC_LABEL.test(labels[labels.length - 1]!)) return 'the host name ends in a numeric label but is not an IPv4 address';
  return null;
}
