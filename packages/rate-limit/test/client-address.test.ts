import { normalizeAddress } from '@palisade/rate-limit';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';

describe('normalizeAddress', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:192.0.2.1', '192.0.2.1'],
    ['::ffff:c000:201', '192.0.2.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::'],
    ['2001:0DB8:0001:0002:0000:0000:0000:0001', '2001:db8:1:2::'],
    ['fe80::1%eth0', 'fe80::'],
    ['::1', '::'],
    ['', 'unknown'],
    ['not an address', 'unknown'],
    ['192.0.2.1:443', 'unknown'],
    ['[::1]', 'unknown'],
  ])('%j -> %j', (input, key) => {
    expect(normalizeAddress(input)).toBe(key);
  });

  it('maps null and undefined to "unknown"', () => {
    expect(normalizeAddress(null)).toBe('unknown');
    expect(normalizeAddress(undefined)).toBe('unknown');
  });

  it('keeps whole IPv6 addresses with ipv6Prefix 128', () => {
    expect(normalizeAddress('2001:db8::1', { ipv6Prefix: 128 })).toBe('2001:db8::1');
    expect(normalizeAddress('2001:db8:abcd:1234::1', { ipv6Prefix: 48 })).toBe('2001:db8:abcd::');
    expect(normalizeAddress('2001:db8:abcd:1234::1', { ipv6Prefix: 56 })).toBe('2001:db8:abcd:1200::');
  });

  it('refuses an impossible prefix', () => {
    expect(() => normalizeAddress('::1', { ipv6Prefix: 129 })).toThrow(RangeError);
  });
});

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((octets) => octets.join('.'));
const hextets = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 });
const ipv6 = hextets.map((parts) => parts.map((part) => part.toString(16)).join(':'));
const anyText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), ipv4, ipv6, ipv4.map((address) => `::ffff:${address}`));

describe('normalizeAddress, properties', () => {
  it('never throws, and always gives a string', () => {
    fc.assert(
      fc.property(anyText, (input) => {
        expect(typeof normalizeAddress(input)).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 0, max: 128 }), (input, ipv6Prefix) => {
        const once = normalizeAddress(input, { ipv6Prefix });
        expect(normalizeAddress(once, { ipv6Prefix })).toBe(once);
      }),
      { numRuns: 1000 },
    );
  });

  it('maps every address of a /64 to one key, and addresses of different /64s to different keys', () => {
    fc.assert(
      fc.property(hextets, fc.array(fc.nat(0xffff), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 3 }), (parts, suffix, changed) => {
        // IPv4-mapped and IPv4-compatible space is counted as IPv4; keep to native IPv6.
        fc.pre(!(parts[0] === 0 && parts[1] === 0 && parts[2] === 0 && parts[3] === 0));
        const base = parts.map((part) => part.toString(16)).join(':');
        const sibling = [...parts.slice(0, 4), ...suffix].map((part) => part.toString(16)).join(':');
        expect(normalizeAddress(sibling)).toBe(normalizeAddress(base));
        const other = [...parts];
        other[changed] = (other[changed]! + 1) % 0x10000;
        expect(normalizeAddress(other.map((part) => part.toString(16)).join(':'))).not.toBe(normalizeAddress(base));
      }),
      { numRuns: 1000 },
    );
  });

  it('keys IPv4 and its IPv4-mapped IPv6 form alike', () => {
    fc.assert(
      fc.property(ipv4, (address) => {
        expect(normalizeAddress(`::ffff:${address}`)).toBe(normalizeAddress(address));
      }),
    );
  });
});

describe('the IPv6 parser agrees with ipaddr.js', () => {
  const spellings = (parts: number[]) => {
    const full = parts.map((part) => part.toString(16)).join(':');
    const padded = parts.map((part) => part.toString(16).padStart(4, '0')).join(':');
    return [full, padded, padded.toUpperCase(), new ipaddr.IPv6(parts).toString(), `${full}%eth0`];
  };

  it('reads every spelling of an address to its canonical form', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(0), fc.nat(0xffff)), { minLength: 8, maxLength: 8 }), (parts) => {
        const expected = ipaddr.process(parts.map((part) => part.toString(16)).join(':')).toString();
        for (const spelling of spellings(parts)) expect(normalizeAddress(spelling, { ipv6Prefix: 128 })).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts exactly what ipaddr.js accepts, and reads it the same (IPv6-shaped text)', () => {
    const group = fc.oneof(fc.constant(''), fc.stringMatching(/^[0-9a-fA-F]{1,5}$/), fc.constantFrom('0', 'ffff', 'FFFF', '1.2.3.4', '192.0.2.256', 'g'));
    const shaped = fc.array(group, { minLength: 1, maxLength: 10 }).chain((groups) => fc.array(fc.constantFrom(':', '::', ':::'), { minLength: groups.length - 1, maxLength: groups.length - 1 }).map((separators) => groups.reduce((text, part, i) => (i === 0 ? part : `${text}${separators[i - 1]}${part}`), '')));
    fc.assert(
      fc.property(shaped, (text) => {
        fc.pre(text.includes(':'));
        const expected = ipaddr.IPv6.isValid(text) ? ipaddr.process(text).toString() : 'unknown';
        expect(normalizeAddress(text, { ipv6Prefix: 128 })).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads embedded IPv4 groups', () => {
    expect(normalizeAddress('64:ff9b::192.0.2.33', { ipv6Prefix: 128 })).toBe('64:ff9b::c000:221');
    expect(normalizeAddress('::192.0.2.33', { ipv6Prefix: 128 })).toBe('192.0.2.33');
    expect(normalizeAddress('::1:192.0.2.33', { ipv6Prefix: 128 })).toBe('::1:c000:221');
    expect(normalizeAddress('1:2:3:4:5:6:192.0.2.33', { ipv6Prefix: 128 })).toBe('1:2:3:4:5:6:c000:221');
  });

  it('refuses what is not an IPv6 address, as ipaddr.js does', () => {
    for (const text of [':::', '1:::2', '1::2::3', ':1::', '1::2:', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8', '12345::', 'g::', '::1.2.3', '::1.2.3.4.5', '1.2.3.4::', '::ffff:256.1.1.1', '%eth0', '::%', 'fe80::1%']) {
      expect(normalizeAddress(text), text).toBe('unknown');
      if (text !== 'fe80::1%') expect(ipaddr.IPv6.isValid(text) && !text.includes('%'), text).toBe(false);
    }
  });
});
