import { PalisadeConfigError, createOptionsValidator } from '@palisade/core';
import { checkUrl } from './internal/check-url';
import { URL_POLICY_OPTION_PROPERTIES, compileSettings } from './internal/policy-settings';
import { registerPolicy } from './internal/policy-registry';
import type { Resolver } from './internal/resolve-host';
import type { UrlCheckCode } from './ssrf-error';

export type { Resolver };

/** Options of `createUrlPolicy`. Every one is optional; the defaults are the strict choice. */
export interface UrlPolicyOptions {
  /** Schemes allowed. Default `['https']`. */
  readonly schemes?: readonly ('https' | 'http')[];
  /**
   * Ports allowed (the scheme's default port counts as given). Default: any
   * port except the Fetch standard's blocked ports (25, 22, 6667, ...).
   */
  readonly allowPorts?: readonly number[];
  /** When set, only these hosts (`hooks.example.com`, `*.example.com` for subdomains). Their addresses are still checked. */
  readonly allowHosts?: readonly string[];
  /** Hosts refused whatever they resolve to; same syntax as `allowHosts`. */
  readonly denyHosts?: readonly string[];
  /** Public addresses or CIDRs to refuse as well (your own egress address, a partner's admin range). */
  readonly denyAddresses?: readonly string[];
  /**
   * Addresses or CIDRs accepted although they are loopback, private, ...
   * Each entry is a hole in the SSRF protection. Meant for tests against
   * local servers, or a receiver you run inside your network on purpose.
   */
  readonly dangerouslyAllowAddresses?: readonly string[];
  /** Resolves a host to all its addresses. Default: the system resolver (`dns.lookup` with `all: true`). */
  readonly resolve?: Resolver;
  /** How long DNS may take before the host counts as unresolvable, in ms. Default 2000. */
  readonly resolveTimeoutMs?: number;
  /** A host with more addresses than this is refused. Default 32. */
  readonly maxAddresses?: number;
  /** Longest URL accepted, in characters. Default 2048. */
  readonly maxUrlLength?: number;
}

/** A URL that passed: the normalised URL, and every address its host had (all of them checked). */
export interface UrlCheckSuccess {
  readonly ok: true;
  /** The URL as WHATWG normalises it (IPv4 spellings resolved, host lower-cased, trailing dot removed). */
  readonly url: URL;
  /** The addresses a connection may use: the literal, or every address the host resolved to. */
  readonly addresses: readonly string[];
}

/** A URL that was refused. `reason` is safe to log: it names host and address, never path, query or user information. */
export interface UrlCheckFailure {
  readonly ok: false;
  readonly code: UrlCheckCode;
  readonly reason: string;
}

export type UrlCheckResult = UrlCheckSuccess | UrlCheckFailure;

/** A compiled URL policy. Create one with `createUrlPolicy`, once, and reuse it. */
export interface UrlPolicy {
  /**
   * Checks a URL the service will call. Never rejects: every problem,
   * DNS failures included, is a `{ ok: false }` result.
   */
  check(url: string | URL): Promise<UrlCheckResult>;
  /** The schemes this policy allows. */
  readonly schemes: readonly ('https' | 'http')[];
}

const assertOptions: (options: unknown) => asserts options is UrlPolicyOptions = createOptionsValidator<UrlPolicyOptions>('createUrlPolicy', {
  type: 'object',
  additionalProperties: false,
  properties: {
    schemes: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['https', 'http'] } },
    ...URL_POLICY_OPTION_PROPERTIES,
  },
});

/**
 * Creates a policy for URLs a service receives and will later call
 * (webhooks, avatars by URL, import-from-URL): it refuses anything that
 * could reach the service's own network.
 *
 * `check(url)` refuses, in this order: a URL that is not a string, too long,
 * not written as `scheme://host...` or holding whitespace, control characters
 * or backslashes; a scheme not in `schemes`; user information
 * (`user:pass@`, even empty); port 0, a port outside `allowPorts`, or without
 * `allowPorts` a Fetch-blocked port; `localhost` and `*.localhost`; hosts in
 * `denyHosts` or outside `allowHosts`; and then every address: an IP literal
 * is checked as written (no DNS), a name is resolved (all A and AAAA records)
 * and refused if it does not resolve in time, or if any address is not
 * public unicast. IPv4 in decimal, hex, octal or short form is normalised by
 * the WHATWG parser before any of this, so `https://2130706433/`,
 * `https://0x7f.1/` and `https://127.1/` are all `127.0.0.1`.
 *
 * A check is a snapshot: DNS can change before the URL is called. Call it
 * with `createSafeFetch`, which checks again and connects to exactly the
 * address it checked.
 *
 * @example
 * ```ts
 * const policy = createUrlPolicy();
 * const result = await policy.check('https://hooks.example.com/orders');
 * if (!result.ok) console.warn(result.code, result.reason);
 * ```
 * @throws PalisadeConfigError for invalid options.
 */
export function createUrlPolicy(options: UrlPolicyOptions = {}): UrlPolicy {
  if (typeof options === 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'createUrlPolicy received a function; pass an options object: createUrlPolicy({ schemes: ["https"] }).', { path: '(options)' });
  }
  assertOptions(options);
  const settings = compileSettings(options, 'createUrlPolicy');
  const schemes = Object.freeze([...(options.schemes ?? ['https'])]);
  const policy: UrlPolicy = Object.freeze({
    schemes,
    check: (url: string | URL) => checkUrl(url, schemes, settings),
  });
  registerPolicy(policy);
  return policy;
}

