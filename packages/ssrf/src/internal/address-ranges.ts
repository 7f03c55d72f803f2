import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = readonly [Address, number];

/** Address lists from the options, parsed once. */
export interface AddressRules {
  /** `denyAddresses`: refused even when public. Wins over everything. */
  readonly deny: readonly Cidr[];
  /** `dangerouslyAllowAddresses`: accepted even when in a refused range. */
  readonly allow: readonly Cidr[];
}

export type AddressVerdict =
  | { readonly allowed: true; readonly address: string }
  | { readonly allowed: false; readonly address: string; readonly why: string };

// IANA has allocated global unicast IPv6 only from 2000::/3; everything
// outside it is reserved, local or special. Allow-listing it catches what
// ipaddr.js calls plain "unicast" but is not routable on the internet, such
// as the deprecated IPv4-compatible ::a.b.c.d (::7f00:1 is "unicast" to it).
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');
// RFC 6052 well-known NAT64 prefix: 64:ff9b::a.b.c.d reaches a.b.c.d through
// the translator, so it is as safe as the IPv4 address it embeds. On an
// IPv6-only network with DNS64 every IPv4-only host resolves to one, so
// refusing the prefix outright would refuse most of the internet there.
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/**
 * Parses `denyAddresses` / `dangerouslyAllowAddresses` entries: an address
 * (`10.0.0.5`, a /32 or /128) or a CIDR (`10.0.0.0/8`). Returns the index
 * of the first bad entry instead, so the caller can name the option.
 */
export function parseCidrList(entries: readonly string[]): Cidr[] | number {
  const list: Cidr[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.includes('/')) {
      if (!ipaddr.isValidCIDR(entry) || !isIP(entry.slice(0, entry.indexOf('/')))) return i;
      const [address, bits] = ipaddr.parseCIDR(entry);
      list.push([unwrapMapped(address), address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? Math.max(0, bits - 96) : bits]);
    } else {
      if (isIP(entry) === 0) return i;
      const address = unwrapMapped(ipaddr.parse(entry));
      list.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    }
  }
  return list;
}

/**
 * Decides whether a connection to `text` may be made: only public unicast
 * addresses pass. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) and NAT64
 * (`64:ff9b::a.b.c.d`) are judged by the IPv4 address they carry, since
 * that is where the packets go.
 */
export function classifyAddress(text: string, rules: AddressRules): AddressVerdict {
  if (isIP(text) === 0) return { allowed: false, address: text, why: 'not an IP address' };
  const parsed = unwrapMapped(ipaddr.parse(text));
  const address = parsed.toString();
  const embedded = parsed.kind() === 'ipv6' && parsed.match(NAT64_WELL_KNOWN) ? nat64Embedded(parsed as ipaddr.IPv6) : null;
  if (inAny(parsed, rules.deny) || (embedded !== null && inAny(embedded, rules.deny))) return { allowed: false, address, why: 'listed in denyAddresses' };
  if (inAny(parsed, rules.allow)) return { allowed: true, address };
  if (parsed.kind() === 'ipv4') {
    const range = (parsed as ipaddr.IPv4).range();
    return range === 'unicast' ? { allowed: true, address } : { allowed: false, address, why: describeRange(range) };
  }
  const v6 = parsed as ipaddr.IPv6;
  if (embedded !== null) {
    const range = embedded.range();
    return range === 'unicast' ? { allowed: true, address } : { allowed: false, address, why: `NAT64 of ${embedded.toString()} (${describeRange(range)})` };
  }
  if (v6.zoneId !== undefined) return { allowed: false, address, why: 'scoped (has a zone id)' };
  const range = v6.range();
  if (range !== 'unicast') return { allowed: false, address, why: describeRange(range) };
  if (!v6.match(GLOBAL_UNICAST_V6)) return { allowed: false, address, why: 'reserved (outside global unicast 2000::/3)' };
  return { allowed: true, address };
}

function unwrapMapped(address: Address): Address {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

function nat64Embedded(address: ipaddr.IPv6): ipaddr.IPv4 {
  const high = address.parts[6]!;
  const low = address.parts[7]!;
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

function inAny(address: Address, list: readonly Cidr[]): boolean {
  for (let i = 0; i < list.length; i++) {
    const [network, bits] = list[i]!;
    if (network.kind() === address.kind() && address.match(network, bits)) return true;
  }
  return false;
}

const RANGE_NAMES: Readonly<Record<string, string>> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local (cloud metadata lives here)',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT (RFC 6598)',
  private: 'private (RFC 1918)',
  reserved: 'reserved',
  uniqueLocal: 'unique local (fc00::/7)',
  rfc6145: 'IPv4-translated (RFC 6145)',
  rfc6052: 'local-use NAT64 (RFC 8215)',
  '6to4': '6to4 (RFC 3056, deprecated)',
  teredo: 'Teredo (RFC 4380)',
};

function describeRange(range: string): string {
  return RANGE_NAMES[range] ?? `special-purpose (${range})`;
}

/** The form `classifyAddress` reports addresses in, for comparing with a socket's peer address. */
export function canonicalAddress(text: string): string {
  return isIP(text) === 0 ? text : unwrapMapped(ipaddr.parse(text)).toString();
}
