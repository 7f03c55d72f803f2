import { describe, expect, it } from 'vitest';
import { HOST_PATTERN_SOURCE, compileHostList, isLocalhostName, malformedHostName } from '../../src/internal/host-names';

describe('compileHostList', () => {
  const matches = compileHostList(['hooks.example', '*.partner.example']);

  it('matches exact names and subdomains of *. entries, not the apex or look-alikes', () => {
    expect(matches('hooks.example')).toBe(true);
    expect(matches('a.partner.example')).toBe(true);
    expect(matches('a.b.partner.example')).toBe(true);
    expect(matches('partner.example')).toBe(false);
    expect(matches('evilpartner.example')).toBe(false);
    expect(matches('a.hooks.example')).toBe(false);
  });
});

describe('the option pattern', () => {
  const pattern = new RegExp(HOST_PATTERN_SOURCE);

  it('takes lower-case names and *. wildcards only', () => {
    for (const host of ['hooks.example', '*.example.com', 'xn--bcher-kva.example', 'a_b.example', '93.184.215.14']) expect(pattern.test(host), host).toBe(true);
    for (const host of ['Hooks.example', 'hooks.example.', '*.', 'a.*.example', '-a.example', '', 'bücher.example']) expect(pattern.test(host), host).toBe(false);
  });
});

describe('isLocalhostName', () => {
  it('covers localhost and every name under it (RFC 6761)', () => {
    expect(isLocalhostName('localhost')).toBe(true);
    expect(isLocalhostName('a.b.localhost')).toBe(true);
    expect(isLocalhostName('notlocalhost')).toBe(false);
    expect(isLocalhostName('localhost.example')).toBe(false);
  });
});

describe('malformedHostName', () => {
  it('finds empty and overlong labels, and numeric last labels', () => {
    expect(malformedHostName('a..b')).toMatch(/empty label/);
    expect(malformedHostName(`${'a'.repeat(64)}.example`)).toMatch(/longer than 63/);
    expect(malformedHostName(`${'a.'.repeat(127)}ab`)).toMatch(/longer than 253/);
    expect(malformedHostName('example.0x1f')).toMatch(/numeric/);
    expect(malformedHostName('example.123')).toMatch(/numeric/);
    expect(malformedHostName('123.example')).toBeNull();
    expect(malformedHostName('hooks.example')).toBeNull();
  });
});
