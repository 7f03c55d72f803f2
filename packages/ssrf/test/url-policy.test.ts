import { PalisadeConfigError } from '@palisade/core';
import { createUrlPolicy, type Resolver } from '@palisade/ssrf';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACCEPTED_URLS, REFUSED_URLS, VECTOR_DNS } from './vectors/url-spellings';

const vectorResolver: Resolver = async (hostname) => {
  const addresses = VECTOR_DNS[hostname];
  if (addresses === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses;
};

afterEach(() => {
  vi.useRealTimers();
});

describe('refused URLs (vectors)', () => {
  const policy = createUrlPolicy({ resolve: vectorResolver });

  it('has at least 30 of them', () => {
    expect(REFUSED_URLS.length).toBeGreaterThanOrEqual(30);
  });

  for (const vector of REFUSED_URLS) {
    it(`refuses ${vector.title}: ${JSON.stringify(vector.url.slice(0, 60))}`, async () => {
      const result = await policy.check(vector.url);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.code).toBe(vector.code);
      expect(result.reason.length).toBeGreaterThan(0);
    });
  }
});

describe('accepted URLs (vectors, the near misses)', () => {
  const policy = createUrlPolicy({ resolve: vectorResolver });

  for (const vector of ACCEPTED_URLS) {
    it(`accepts ${vector.title}`, async () => {
      const result = await policy.check(vector.url);
      expect(result).toMatchObject({ ok: true, addresses: vector.addresses });
      if (result.ok) expect(result.url.href).toBe(vector.href);
    });
  }

  it('checks IP literals without asking DNS', async () => {
    const resolve = vi.fn(vectorResolver);
    const spied = createUrlPolicy({ resolve });
    expect((await spied.check('https://93.184.215.14/hook')).ok).toBe(true);
    expect((await spied.check('https://[2606:4700:4700::1111]/')).ok).toBe(true);
    expect((await spied.check('https://2130706433/')).ok).toBe(false);
    expect(resolve).not.toHaveBeenCalled();
  });

  it('refuses localhost names without asking DNS', async () => {
    const resolve = vi.fn(vectorResolver);
    const spied = createUrlPolicy({ resolve });
    expect((await spied.check('https://app.localhost/')).ok).toBe(false);
    expect(resolve).not.toHaveBeenCalled();
  });

  it('accepts a URL object as well as a string', async () => {
    expect((await policy.check(new URL('https://93.184.215.14/x'))).ok).toBe(true);
  });
});

describe('reasons are safe to log', () => {
  const policy = createUrlPolicy({ resolve: vectorResolver });

  it('names host and address but never the path, query or user information', async () => {
    const results = await Promise.all([
      policy.check('https://loopback.example/secret-path?token=s3cr3t'),
      policy.check('https://admin:hunter2@93.184.215.14/'),
      policy.check('https://127.0.0.1/secret-path?token=s3cr3t'),
    ]);
    for (const result of results) {
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.reason).not.toMatch(/secret-path|s3cr3t|hunter2|admin/);
    }
    expect(results[0]).toMatchObject({ reason: 'host loopback.example resolves to 127.0.0.1, which is loopback' });
  });

  it('never throws on values that are not strings', async () => {
    for (const value of [null, undefined, 42, {}, [], Symbol('x')]) {
      await expect(policy.check(value as unknown as string)).resolves.toMatchObject({ ok: false, code: 'ERR_PALISADE_SSRF_INVALID_URL' });
    }
  });
});

describe('DNS', () => {
  it('refuses a host whose lookup times out', async () => {
    vi.useFakeTimers();
    const policy = createUrlPolicy({ resolve: () => new Promise(() => {}), resolveTimeoutMs: 500 });
    const pending = policy.check('https://slow.example/');
    await vi.advanceTimersByTimeAsync(500);
    expect(await pending).toMatchObject({ ok: false, code: 'ERR_PALISADE_SSRF_UNRESOLVABLE', reason: 'host slow.example does not resolve: DNS did not answer within 500 ms' });
  });

  it('refuses a host when the resolver throws synchronously or answers nonsense', async () => {
    const throwing = createUrlPolicy({
      resolve: () => {
        throw new Error('boom');
      },
    });
    expect(await throwing.check('https://a.example/')).toMatchObject({ ok: false, code: 'ERR_PALISADE_SSRF_UNRESOLVABLE' });
    const nonsense = createUrlPolicy({ resolve: async () => 'not a list' as unknown as string[] });
    expect(await nonsense.check('https://a.example/')).toMatchObject({ ok: false, code: 'ERR_PALISADE_SSRF_UNRESOLVABLE' });
    const notAnAddress = createUrlPolicy({ resolve: async () => ['93.184.215.14', 'evil.example'] });
    expect(await notAnAddress.check('https://a.example/')).toMatchObject({ ok: false, code: 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED' });
  });

  it('refuses a host with more addresses than maxAddresses', async () => {
    const many = Array.from({ length: 5 }, (_, i) => `93.184.215.${i + 1}`);
    const policy = createUrlPolicy({ resolve: async () => many, maxAddresses: 4 });
    expect(await policy.check('https://many.example/')).toMatchObject({ ok: false, code: 'ERR_PALISADE_SSRF_TOO_MANY_ADDRESSES' });
    expect(await createUrlPolicy({ resolve: async () => many, maxAddresses: 5 }).check('https://many.example/')).toMatchObject({ ok: true, addresses: many });
  });

  it('reports each address once', async () => {
    const policy = createUrlPolicy({ resolve: async () => ['93.184.215.14', '93.184.215.14', '::ffff:93.184.215.14'] });
    expect(await policy.check('https://twice.example/')).toMatchObject({ ok: true, addresses: ['93.184.215.14'] });
  });

  it('refuses a real .invalid name through the system resolver (RFC 6761: never resolves)', async () => {
    const policy = createUrlPolicy();
    expect(await policy.check('https://webhook.palisade-test.invalid/hook')).toMatchObject({ ok: false, code: 'ERR_PALISADE_SSRF_UNRESOLVABLE' });
  });
});

describe('options', () => {
  it('allows http only when schemes says so', async () => {
    const policy = createUrlPolicy({ schemes: ['https', 'http'] });
    expect((await policy.check('http://93.184.215.14/')).ok).toBe(true);
    expect(policy.schemes).toEqual(['https', 'http']);
    expect(createUrlPolicy().schemes).toEqual(['https']);
  });

  it('allowPorts replaces the default port rule', async () => {
    const policy = createUrlPolicy({ allowPorts: [443, 25] });
    expect((await policy.check('https://93.184.215.14/')).ok).toBe(true);
    expect((await policy.check('https://93.184.215.14:25/')).ok).toBe(true);
    expect(await policy.check('https://93.184.215.14:8443/')).toMatchObject({ ok: false, code: 'ERR_PALISADE_SSRF_PORT_NOT_ALLOWED' });
  });

  it('allowHosts and denyHosts match exact names and *. subdomains; addresses are still checked', async () => {
    const resolve: Resolver = async (host) => (host === 'internal.hooks.example' ? ['10.0.0.1'] : ['93.184.215.14']);
    const policy = createUrlPolicy({ resolve, allowHosts: ['hooks.example', '*.hooks.example'], denyHosts: ['bad.hooks.example'] });
    expect((await policy.check('https://hooks.example/')).ok).toBe(true);
    expect((await policy.check('https://a.hooks.example./')).ok).toBe(true);
    expect(await policy.check('https://bad.hooks.example/')).toMatchObject({ ok: false, code: 'ERR_PALISADE_SSRF_HOST_NOT_ALLOWED' });
    expect(await policy.check('https://evilhooks.example/')).toMatchObject({ ok: false, code: 'ERR_PALISADE_SSRF_HOST_NOT_ALLOWED' });
    expect(await policy.check('https://93.184.215.14/')).toMatchObject({ ok: false, code: 'ERR_PALISADE_SSRF_HOST_NOT_ALLOWED' });
    expect(await policy.check('https://internal.hooks.example/')).toMatchObject({ ok: false, code: 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED' });
  });

  it('denyAddresses refuses public addresses, also behind IPv4-mapped and NAT64 spellings', async () => {
    const policy = createUrlPolicy({ denyAddresses: ['93.184.215.0/24', '2606:4700::/32'] });
    for (const url of ['https://93.184.215.14/', 'https://[::ffff:93.184.215.14]/', 'https://[64:ff9b::93.184.215.14]/', 'https://[2606:4700:4700::1111]/']) {
      expect(await policy.check(url), url).toMatchObject({ ok: false, code: 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED' });
    }
    expect((await policy.check('https://8.8.8.8/')).ok).toBe(true);
  });

  it('dangerouslyAllowAddresses opens exactly the listed holes, and denyAddresses still wins', async () => {
    const policy = createUrlPolicy({ dangerouslyAllowAddresses: ['127.0.0.1', '10.1.0.0/16'], denyAddresses: ['10.1.2.3'] });
    expect((await policy.check('https://127.0.0.1/')).ok).toBe(true);
    expect((await policy.check('https://[::ffff:127.0.0.1]/')).ok).toBe(true);
    expect((await policy.check('https://10.1.9.9/')).ok).toBe(true);
    expect((await policy.check('https://127.0.0.2/')).ok).toBe(false);
    expect((await policy.check('https://10.2.0.1/')).ok).toBe(false);
    expect((await policy.check('https://10.1.2.3/')).ok).toBe(false);
    expect((await policy.check('https://[::1]/')).ok).toBe(false);
  });

  it('maxUrlLength caps the URL', async () => {
    const policy = createUrlPolicy({ maxUrlLength: 40 });
    expect((await policy.check('https://93.184.215.14/abc')).ok).toBe(true);
    expect(await policy.check(`https://93.184.215.14/${'a'.repeat(40)}`)).toMatchObject({ ok: false, code: 'ERR_PALISADE_SSRF_INVALID_URL' });
  });

  it('refuses unknown options with "did you mean"', () => {
    expect(() => createUrlPolicy({ allowPort: [443] } as never)).toThrow(/allowPort.*Did you mean "allowPorts"/s);
  });

  it('refuses ill-typed options and names each one', () => {
    let error: unknown;
    try {
      createUrlPolicy({ schemes: ['ftp'], allowPorts: [0], allowHosts: ['Hooks.Example'], resolveTimeoutMs: -1 } as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PalisadeConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/schemes\[0\]/);
    expect(message).toMatch(/allowPorts\[0\]/);
    expect(message).toMatch(/allowHosts\[0\]: must be a lower-case host name/);
    expect(message).toMatch(/resolveTimeoutMs/);
  });

  it('refuses an empty allowHosts (it would refuse every URL)', () => {
    expect(() => createUrlPolicy({ allowHosts: [] })).toThrow(PalisadeConfigError);
  });

  it('refuses address lists that are not addresses or CIDRs, naming the entry', () => {
    expect(() => createUrlPolicy({ dangerouslyAllowAddresses: ['127.0.0.1', 'localhost'] })).toThrow(/dangerouslyAllowAddresses\[1\].*"localhost"/s);
    expect(() => createUrlPolicy({ denyAddresses: ['10.0.0.0/33'] })).toThrow(/denyAddresses\[0\]/);
    expect(() => createUrlPolicy({ denyAddresses: ['127.1/8'] })).toThrow(/denyAddresses\[0\]/);
  });

  it('says how to call it when given a function', () => {
    expect(() => createUrlPolicy((() => {}) as never)).toThrow(/pass an options object/);
  });

  it('returns a frozen policy', () => {
    const policy = createUrlPolicy();
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.schemes)).toBe(true);
  });
});
