import { isIPv4 } from 'node:net';
import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';
import type { IncomingMessage } from 'node:http';
import type { RequestHeaders, RequestView } from '@palisade/core';

/** Key of every address that is missing or not an IP address: they share one counter. */
export const UNKNOWN_ADDRESS = 'unknown';

const MAPPED_PREFIX = '::ffff:';

/**
 * The canonical spelling of an address, or null when it is not one: IPv4
 * in dotted decimal (IPv4-mapped IPv6 `::ffff:1.2.3.4` becomes `1.2.3.4`,
 * and the short, hex and octal forms ipaddr.js reads become dotted
 * decimal), IPv6 in RFC 5952 form without a zone.
 */
export function canonicalAddress(address: string | null | undefined): string | null {
  if (typeof address !== 'string' || address.length === 0) return null;
  // Node reports IPv4 peers as `1.2.3.4`, or `::ffff:1.2.3.4` on a
  // dual-stack socket; net.isIPv4 accepts only canonical dotted decimal
  // (no leading zeros), so such a string is its own canonical form.
  if (isIPv4(address)) return address;
  const mapped = mappedFastPath(address);
  if (mapped !== null) return mapped;
  if (address.includes(':')) {
    const parts = parseIPv6(address);
    if (parts === null) return null;
    return isMapped(parts) ? mappedIPv4(parts) : formatIPv6(parts);
  }
  // Other IPv4 spellings (`127.1`, `0x7f.0.0.1`) can only come from a
  // trusted proxy's header; ipaddr.js reads them.
  return ipaddr.IPv4.isValid(address) ? ipaddr.IPv4.parse(address).toString() : null;
}

/**
 * The counter key of a client address: IPv4 addresses as they are, IPv6
 * addresses reduced to their network of `ipv6Prefix` bits (/64 by
 * default), since one subscriber usually holds a whole /64 and could
 * otherwise rotate through 2^64 addresses, each with a fresh budget.
 * Never throws; idempotent; anything that is not an address maps to
 * `"unknown"`, so spoofed garbage shares one counter.
 */
export function addressKey(address: string | null | undefined, ipv6Prefix: number): string {
  if (typeof address !== 'string' || address.length === 0) return UNKNOWN_ADDRESS;
  if (isIPv4(address)) return address;
  const mapped = mappedFastPath(address);
  if (mapped !== null) return mapped;
  if (!address.includes(':')) return canonicalAddress(address) ?? UNKNOWN_ADDRESS;
  const parts = parseIPv6(address);
  if (parts === null) return UNKNOWN_ADDRESS;
  if (isMapped(parts)) return mappedIPv4(parts);
  for (let i = 0; i < 8; i++) {
    const bits = Math.min(16, Math.max(0, ipv6Prefix - i * 16));
    if (bits < 16) parts[i] = bits === 0 ? 0 : parts[i]! & ((0xffff << (16 - bits)) & 0xffff);
  }
  return formatIPv6(parts);
}

/**
 * The key a client address is counted under: IPv4 as dotted decimal
 * (IPv4-mapped IPv6 included), IPv6 as the network of its first
 * `ipv6Prefix` bits (default 64), anything else `"unknown"`. Never throws
 * for any address (a bad `ipv6Prefix` is a RangeError); normalising a key
 * again gives the same key. Use it to count clients the way the rate
 * limiter does (audit's anomaly detection, say).
 *
 * @example
 * ```ts
 * normalizeAddress('::ffff:203.0.113.7'); // '203.0.113.7'
 * normalizeAddress('2001:db8:1:2:aaaa::1'); // '2001:db8:1:2::'
 * ```
 */
export function normalizeAddress(address: string | null | undefined, options: { readonly ipv6Prefix?: number } = {}): string {
  const prefix = options.ipv6Prefix ?? 64;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 128) throw new RangeError(`normalizeAddress: ipv6Prefix must be an integer from 0 to 128; received ${String(prefix)}`);
  return addressKey(address, prefix);
}

// What a dual-stack socket reports for IPv4 peers; parseIPv6 gives the
// same answer, slower.
function mappedFastPath(address: string): string | null {
  if (!address.startsWith(MAPPED_PREFIX)) return null;
  const rest = address.slice(MAPPED_PREFIX.length);
  return isIPv4(rest) ? rest : null;
}

/**
 * Parses an IPv6 address (RFC 4291 section 2.2: hex groups, at most one
 * `::`, an optional trailing dotted IPv4; an optional `%zone` is dropped)
 * into its eight 16-bit groups, or null. Written out, one character at a
 * time, because ipaddr.js takes microseconds per address and this runs on
 * every request from an IPv6 client.
 */
export function parseIPv6(address: string): number[] | null {
  let end = address.indexOf('%');
  if (end === -1) end = address.length;
  else if (end === address.length - 1) return null;
  if (end < 2 || end > 45) return null;
  const parts: number[] = [];
  let gapAt = -1;
  let i = 0;
  if (address.charCodeAt(0) === COLON) {
    if (address.charCodeAt(1) !== COLON) return null;
    gapAt = 0;
    i = 2;
  }
  while (i < end) {
    const start = i;
    let value = 0;
    while (i < end) {
      const digit = hexValue(address.charCodeAt(i));
      if (digit < 0) break;
      value = value * 16 + digit;
      i++;
    }
    if (i < end && address.charCodeAt(i) === DOT) {
      // The last 32 bits written as IPv4 (`::ffff:192.0.2.1`).
      const ipv4 = address.slice(start, end);
      if (!isIPv4(ipv4)) return null;
      const octets = ipv4.split('.');
      // `::1.2.3.4` (RFC 4291's deprecated "IPv4-compatible" form) is read
      // as `::ffff:1.2.3.4`, as ipaddr.js reads it: that IPv4 client.
      if (gapAt === 0 && parts.length === 0) parts.push(0xffff);
      parts.push((Number(octets[0]) << 8) | Number(octets[1]), (Number(octets[2]) << 8) | Number(octets[3]));
      break;
    }
    const digits = i - start;
    if (digits === 0 || digits > 4 || parts.length === 8) return null;
    parts.push(value);
    if (i === end) break;
    if (address.charCodeAt(i) !== COLON) return null;
    i++;
    if (i < end && address.charCodeAt(i) === COLON) {
      if (gapAt !== -1) return null;
      gapAt = parts.length;
      i++;
    } else if (i === end) {
      return null;
    }
  }
  if (gapAt === -1) return parts.length === 8 ? parts : null;
  // `::` stands for at least one group of zeros.
  const missing = 8 - parts.length;
  if (missing < 1) return null;
  const full = new Array<number>(8);
  for (let k = 0; k < gapAt; k++) full[k] = parts[k]!;
  for (let k = 0; k < missing; k++) full[gapAt + k] = 0;
  for (let k = gapAt; k < parts.length; k++) full[k + missing] = parts[k]!;
  return full;
}

const COLON = 58;
const DOT = 46;

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

function isMapped(parts: readonly number[]): boolean {
  return parts[0] === 0 && parts[1] === 0 && parts[2] === 0 && parts[3] === 0 && parts[4] === 0 && parts[5] === 0xffff;
}

function mappedIPv4(parts: readonly number[]): string {
  return `${parts[6]! >> 8}.${parts[6]! & 0xff}.${parts[7]! >> 8}.${parts[7]! & 0xff}`;
}

/** RFC 5952 section 4: lower-case hex without leading zeros, the first longest run of 2+ zero groups as `::`. */
export function formatIPv6(parts: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  let text = '';
  let separate = false;
  for (let i = 0; i < 8; ) {
    if (i === bestStart) {
      text += '::';
      separate = false;
      i += bestLength;
      continue;
    }
    text += separate ? `:${parts[i]!.toString(16)}` : parts[i]!.toString(16);
    separate = true;
    i++;
  }
  return text;
}

/** What `trustProxy` compiles to. */
export type TrustProxySetting = 'none' | 'loopback' | readonly string[];

/**
 * Resolves a request's client address: the socket's peer, unless it is a
 * trusted proxy, in which case `X-Forwarded-For` is walked from the right
 * while the hops are trusted (proxy-addr). `X-Real-IP` and `Forwarded`
 * are never read.
 */
export interface AddressResolver {
  /** The canonical client address, or null when none is known. */
  resolve(view: RequestView): string | null;
}

/**
 * Compiles `trustProxy` once (proxy-addr's `compile`).
 *
 * @throws TypeError from proxy-addr for an entry that is not an address,
 *   a CIDR or a range name; the caller turns it into a configuration error.
 */
export function createAddressResolver(trustProxy: TrustProxySetting): AddressResolver {
  if (trustProxy === 'none') return { resolve: (view) => canonicalAddress(view.remoteAddress) };
  const trust = proxyaddr.compile(trustProxy === 'loopback' ? ['loopback'] : [...trustProxy]);
  return {
    resolve(view) {
      const socket = view.remoteAddress;
      const forwardedFor = forwardedHeader(view.headers);
      if (forwardedFor === null || socket === null) return canonicalAddress(socket);
      const request = { socket: { remoteAddress: socket }, headers: { 'x-forwarded-for': forwardedFor } } as unknown as IncomingMessage;
      // proxy-addr returns the first untrusted hop without checking that it
      // is an address; a trusted client could put anything there. Garbage
      // must not become a fresh counter per request, so it falls back to
      // the socket's address.
      return canonicalAddress(proxyaddr(request, trust)) ?? canonicalAddress(socket);
    },
  };
}

function forwardedHeader(headers: RequestHeaders): string | null {
  const value = headers['x-forwarded-for'];
  if (typeof value === 'string') return value.length > 0 ? value : null;
  // Node joins repeated X-Forwarded-For lines with ", "; an adapter that
  // hands them over as a list gets the same treatment.
  if (Array.isArray(value) && value.length > 0) return value.join(', ');
  return null;
}
