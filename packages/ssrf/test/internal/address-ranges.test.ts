import { describe, expect, it } from 'vitest';
import { canonicalAddress, classifyAddress, parseCidrList } from '../../src/internal/address-ranges';

const none = { deny: [], allow: [] };

describe('classifyAddress', () => {
  it('allows only public unicast', () => {
    for (const address of ['93.184.215.14', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:81c::200e']) {
      expect(classifyAddress(address, none), address).toEqual({ allowed: true, address });
    }
  });

  it('names the range it refuses', () => {
    expect(classifyAddress('127.0.0.1', none)).toMatchObject({ allowed: false, why: 'loopback' });
    expect(classifyAddress('169.254.169.254', none)).toMatchObject({ allowed: false, why: 'link-local (cloud metadata lives here)' });
    expect(classifyAddress('192.168.0.1', none)).toMatchObject({ allowed: false, why: 'private (RFC 1918)' });
    expect(classifyAddress('100.64.0.1', none)).toMatchObject({ allowed: false, why: 'carrier-grade NAT (RFC 6598)' });
    expect(classifyAddress('192.175.48.1', none)).toMatchObject({ allowed: false, why: 'special-purpose (as112)' });
    expect(classifyAddress('fd12::1', none)).toMatchObject({ allowed: false, why: 'unique local (fc00::/7)' });
    expect(classifyAddress('::7f00:1', none)).toMatchObject({ allowed: false, why: 'reserved (outside global unicast 2000::/3)' });
    expect(classifyAddress('100::1', none)).toMatchObject({ allowed: false });
    expect(classifyAddress('5f00::1', none)).toMatchObject({ allowed: false });
  });

  it('judges IPv4-mapped and NAT64 addresses by the IPv4 address inside', () => {
    expect(classifyAddress('::ffff:127.0.0.1', none)).toEqual({ allowed: false, address: '127.0.0.1', why: 'loopback' });
    expect(classifyAddress('::ffff:808:808', none)).toEqual({ allowed: true, address: '8.8.8.8' });
    expect(classifyAddress('64:ff9b::808:808', none)).toEqual({ allowed: true, address: '64:ff9b::808:808' });
    expect(classifyAddress('64:ff9b::a00:1', none)).toMatchObject({ allowed: false, why: 'NAT64 of 10.0.0.1 (private (RFC 1918))' });
    // The local-use NAT64 prefix (RFC 8215) leads into a private translator.
    expect(classifyAddress('64:ff9b:1::808:808', none)).toMatchObject({ allowed: false });
  });

  it('refuses scoped addresses and things that are not addresses', () => {
    expect(classifyAddress('fe80::1%eth0', none)).toMatchObject({ allowed: false });
    expect(classifyAddress('example.com', none)).toMatchObject({ allowed: false, why: 'not an IP address' });
    expect(classifyAddress('127.1', none)).toMatchObject({ allowed: false, why: 'not an IP address' });
  });

  it('applies deny before allow', () => {
    const rules = { deny: parseCidrList(['10.0.0.5']) as never, allow: parseCidrList(['10.0.0.0/8']) as never };
    expect(classifyAddress('10.0.0.4', rules).allowed).toBe(true);
    expect(classifyAddress('10.0.0.5', rules).allowed).toBe(false);
    expect(classifyAddress('::ffff:10.0.0.5', rules).allowed).toBe(false);
  });
});

describe('parseCidrList', () => {
  it('reads addresses and CIDRs, IPv4-mapped ones as IPv4', () => {
    const list = parseCidrList(['10.0.0.1', '10.0.0.0/8', 'fd00::/8', '::ffff:10.0.0.0/104']);
    if (typeof list === 'number') throw new Error(`entry ${list} refused`);
    expect(list.map(([address, bits]) => `${address.toString()}/${bits}`)).toEqual(['10.0.0.1/32', '10.0.0.0/8', 'fd00::/8', '10.0.0.0/8']);
  });

  it('returns the index of the first bad entry', () => {
    expect(parseCidrList(['10.0.0.1', 'nope'])).toBe(1);
    expect(parseCidrList(['0x7f.1'])).toBe(0);
    expect(parseCidrList(['10.0.0.0/40'])).toBe(0);
  });
});

describe('canonicalAddress', () => {
  it('matches the form classifyAddress reports', () => {
    expect(canonicalAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalAddress('2606:4700:4700:0:0:0:0:1111')).toBe('2606:4700:4700::1111');
    expect(canonicalAddress('')).toBe('');
  });
});
