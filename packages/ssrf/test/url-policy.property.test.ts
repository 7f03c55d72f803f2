import { createUrlPolicy, type Resolver } from '@palisade/ssrf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// An oracle written apart from the implementation (no ipaddr.js): the
// IPv4 ranges the policy must refuse, from RFC 6890's special-purpose
// registry plus RFC 6598 (carrier-grade NAT) and multicast/class E.
const REFUSED_V4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

const toNumber = (dotted: string) => dotted.split('.').reduce((n, part) => n * 256 + Number(part), 0);
const REFUSED_RANGES = REFUSED_V4.map(([base, bits]) => ({ base: toNumber(base), size: 2 ** (32 - bits) }));
const isRefusedV4 = (n: number) => REFUSED_RANGES.some((range) => n >= range.base && n < range.base + range.size);
const dotted = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

const refusedV4 = fc.constantFrom(...REFUSED_RANGES).chain((range) => fc.integer({ min: range.base, max: range.base + range.size - 1 }));
// Public, per the oracle; also outside the few reserved blocks the oracle
// leaves out (AS112, AMT), which the policy refuses too.
const EXTRA_REFUSED = [['192.31.196.0', 24], ['192.52.193.0', 24], ['192.175.48.0', 24]].map(([base, bits]) => ({ base: toNumber(base as string), size: 2 ** (32 - (bits as number)) }));
const publicV4 = fc.integer({ min: 0, max: 2 ** 32 - 1 }).filter((n) => !isRefusedV4(n) && !EXTRA_REFUSED.some((range) => n >= range.base && n < range.base + range.size));

type Radix = 'dec' | 'hex' | 'oct';
const formatPart = (value: number, radix: Radix, hexUpper: boolean) =>
  radix === 'dec' ? String(value) : radix === 'hex' ? `0${hexUpper ? 'X' : 'x'}${hexUpper ? value.toString(16).toUpperCase() : value.toString(16)}` : `0${value.toString(8)}`;

/**
 * Every way inet_aton and the WHATWG URL parser let one write an IPv4
 * address: 1 to 4 parts (the last part fills the remaining bytes), each in
 * decimal, hex or octal; plus IPv4-mapped IPv6 in dotted and hex form.
 */
const spelling = (n: number) =>
  fc
    .record({
      parts: fc.integer({ min: 1, max: 4 }),
      radixes: fc.array(fc.constantFrom<Radix>('dec', 'hex', 'oct'), { minLength: 4, maxLength: 4 }),
      hexUpper: fc.boolean(),
      form: fc.constantFrom('ipv4', 'ipv4', 'ipv4', 'mapped-dotted', 'mapped-hex'),
      trailingDot: fc.boolean(),
    })
    .map(({ parts, radixes, hexUpper, form, trailingDot }) => {
      const bytes = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
      if (form === 'mapped-dotted') return `[::ffff:${bytes.join('.')}]`;
      if (form === 'mapped-hex') return `[::ffff:${((n >>> 16) & 0xffff).toString(16)}:${(n & 0xffff).toString(16)}]`;
      const leading = bytes.slice(0, parts - 1);
      const rest = bytes.slice(parts - 1).reduce((acc, byte) => acc * 256 + byte, 0);
      const text = [...leading, rest].map((value, i) => formatPart(value, radixes[i]!, hexUpper)).join('.');
      return trailingDot ? `${text}.` : text;
    });

const noDns: Resolver = async () => {
  throw Object.assign(new Error('no DNS in property tests'), { code: 'ENOTFOUND' });
};

describe('every spelling of an IPv4 address', () => {
  const policy = createUrlPolicy({ resolve: noDns });

  it('is refused when the address is in a refused range', async () => {
    await fc.assert(
      fc.asyncProperty(refusedV4.chain((n) => fc.tuple(fc.constant(n), spelling(n))), async ([n, host]) => {
        const result = await policy.check(`https://${host}/hook`);
        expect(result, `${host} (${dotted(n)})`).toMatchObject({ ok: false, code: 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED' });
      }),
      { numRuns: 2000 },
    );
  });

  it('is accepted, as the dotted address, when the address is public (the near miss)', async () => {
    await fc.assert(
      fc.asyncProperty(publicV4.chain((n) => fc.tuple(fc.constant(n), spelling(n))), async ([n, host]) => {
        const result = await policy.check(`https://${host}/hook`);
        expect(result, host).toMatchObject({ ok: true, addresses: [dotted(n)] });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('names resolving to arbitrary addresses', () => {
  it('are accepted only when every address is public', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(refusedV4, publicV4), { minLength: 1, maxLength: 6 }), async (numbers) => {
        const addresses = numbers.map(dotted);
        const policy = createUrlPolicy({ resolve: async () => addresses });
        const result = await policy.check('https://hooks.example/');
        expect(result.ok).toBe(numbers.every((n) => !isRefusedV4(n)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('the checker', () => {
  const policy = createUrlPolicy({ resolve: noDns, schemes: ['https', 'http'] });
  const urlish = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.webUrl({ withFragments: true, withQueryParameters: true }),
    fc.tuple(fc.constantFrom('https://', 'http://', 'https:', 'HTTPS://', '//', 'https://[', 'https://@'), fc.string({ unit: fc.constantFrom('a', '.', '0', 'x', '@', ':', '[', ']', '%', '/', '\\', '#', '?', '1', 'f') })).map(([a, b]) => a + b),
  );

  it('never throws and always answers with a well-formed result', async () => {
    await fc.assert(
      fc.asyncProperty(urlish, async (text) => {
        const result = await policy.check(text);
        if (result.ok) {
          expect(result.url).toBeInstanceOf(URL);
          expect(result.addresses.length).toBeGreaterThan(0);
        } else {
          expect(result.code).toMatch(/^ERR_PALISADE_SSRF_[A-Z_]+$/);
          expect(typeof result.reason).toBe('string');
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the same answer for a URL and its normalised form (normalising is idempotent)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(refusedV4, publicV4).chain((n) => spelling(n)), async (host) => {
        const first = await policy.check(`https://${host}/a?b#c`);
        if (!first.ok) return;
        const second = await policy.check(first.url.href);
        expect(second).toMatchObject({ ok: true, addresses: first.addresses });
        if (second.ok) expect(second.url.href).toBe(first.url.href);
      }),
      { numRuns: 500 },
    );
  });
});
