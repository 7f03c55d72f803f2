import { PalisadeConfigError } from '@palisade/core';
import * as oidc from 'openid-client';

// RFC 6761 loopback names and ranges: plain http is acceptable only where
// the traffic never leaves the machine.
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Refuses `http:` URLs except on loopback, naming the option at fault. */
export function assertSecureUrl(value: string, optionPath: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `${optionPath} must be an absolute URL; received ${JSON.stringify(value)}.`, { path: optionPath, received: value, fix: 'Write it as https://issuer.example.' });
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `${optionPath} must use https (plain http is accepted for loopback hosts only); received ${JSON.stringify(value)}.`, {
    path: optionPath,
    received: value,
    fix: 'Use the https URL of the issuer.',
  });
}

/**
 * OIDC discovery through openid-client (`/.well-known/openid-configuration`),
 * which also checks that the metadata's `issuer` is the one asked for.
 */
export async function discoverIssuer(issuer: URL, client: { clientId: string; clientSecret?: string } | null, timeoutSec: number): Promise<oidc.Configuration> {
  return oidc.discovery(issuer, client?.clientId ?? 'palisade-resource-server', client?.clientSecret, undefined, {
    timeout: timeoutSec,
    execute: issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
  });
}

export async function introspect(configuration: oidc.Configuration, token: string): Promise<Record<string, unknown>> {
  return (await oidc.tokenIntrospection(configuration, token)) as Record<string, unknown>;
}
