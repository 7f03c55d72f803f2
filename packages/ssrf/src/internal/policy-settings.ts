import { PalisadeConfigError } from '@palisade/core';
import type { UrlPolicyOptions } from '../url-policy';
import { parseCidrList, type AddressRules } from './address-ranges';
import { HOST_PATTERN_SOURCE, compileHostList } from './host-names';
import { systemResolver, type Resolver } from './resolve-host';

const hostList = {
  type: 'array',
  items: {
    type: 'string',
    pattern: HOST_PATTERN_SOURCE,
    errorMessage: 'must be a lower-case host name such as "hooks.example.com", or "*.example.com" for its subdomains (punycode for international names, no trailing dot)',
  },
};
const addressList = { type: 'array', items: { type: 'string', minLength: 1 } };

/** Shared with `createSsrfGuard`, which takes the same options except `schemes`. */
export const URL_POLICY_OPTION_PROPERTIES = {
  allowPorts: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 1, maximum: 65535 } },
  allowHosts: { ...hostList, minItems: 1 },
  denyHosts: hostList,
  denyAddresses: addressList,
  dangerouslyAllowAddresses: addressList,
  resolve: { jsType: 'function' },
  resolveTimeoutMs: { type: 'integer', minimum: 1, maximum: 60_000 },
  maxAddresses: { type: 'integer', minimum: 1, maximum: 1024 },
  maxUrlLength: { type: 'integer', minimum: 16, maximum: 65_536 },
} as const;

/** Options compiled once: lists into matchers, defaults filled in. */
export interface PolicySettings {
  readonly allowPorts: ReadonlySet<number> | null;
  readonly isAllowedHost: ((host: string) => boolean) | null;
  readonly isDeniedHost: ((host: string) => boolean) | null;
  readonly addressRules: AddressRules;
  readonly resolve: Resolver;
  readonly resolveTimeoutMs: number;
  readonly maxAddresses: number;
  readonly maxUrlLength: number;
}

/** Shared by `createUrlPolicy` and `createSsrfGuard`; the options must already be validated. */
export function compileSettings(options: Omit<UrlPolicyOptions, 'schemes'>, owner: string): PolicySettings {
  return Object.freeze({
    allowPorts: options.allowPorts ? new Set(options.allowPorts) : null,
    isAllowedHost: options.allowHosts ? compileHostList(options.allowHosts) : null,
    isDeniedHost: options.denyHosts && options.denyHosts.length > 0 ? compileHostList(options.denyHosts) : null,
    addressRules: Object.freeze({
      deny: Object.freeze(cidrs(options.denyAddresses ?? [], 'denyAddresses', owner)),
      allow: Object.freeze(cidrs(options.dangerouslyAllowAddresses ?? [], 'dangerouslyAllowAddresses', owner)),
    }),
    resolve: options.resolve ?? systemResolver,
    resolveTimeoutMs: options.resolveTimeoutMs ?? 2000,
    maxAddresses: options.maxAddresses ?? 32,
    maxUrlLength: options.maxUrlLength ?? 2048,
  });
}

function cidrs(entries: readonly string[], option: string, owner: string) {
  const parsed = parseCidrList(entries);
  if (typeof parsed === 'number') {
    const path = `${option}[${parsed}]`;
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `${owner} received invalid options:\n  - ${path}: must be an IP address or a CIDR such as "10.0.0.0/8" or "fd00::/8"; received ${JSON.stringify(entries[parsed])}`, {
      path,
      received: entries[parsed],
      fix: 'Write an IPv4 or IPv6 address in its usual form, optionally followed by /prefix-length.',
    });
  }
  return parsed;
}
