import { isIP } from 'node:net';
import type { UrlCheckCode } from '../ssrf-error';
import type { UrlCheckFailure, UrlCheckResult } from '../url-policy';
import { classifyAddress } from './address-ranges';
import { isBadPort } from './bad-ports';
import { isLocalhostName, malformedHostName } from './host-names';
import type { PolicySettings } from './policy-settings';
import { resolveWithin } from './resolve-host';

// Characters URL parsers disagree on: WHATWG silently drops tabs and
// newlines, trims spaces and control characters, and reads `\` as `/` in
// http(s) URLs, while other parsers (the one the service may use later,
// a proxy's, a log reader's) do not. A URL that needs any of that is
// refused rather than guessed at.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const AMBIGUOUS_CHARACTERS = /[\u0000-\u0020\u007f\\]/;
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
// Exactly `scheme://` then an authority. WHATWG also accepts `https:host`
// and `https:///host` for special schemes; other parsers read those as a
// path.
const AUTHORITY = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/;

function refuse(code: UrlCheckCode, reason: string): UrlCheckFailure {
  return { ok: false, code, reason };
}

/** The check behind `UrlPolicy.check`, for a policy's schemes and compiled settings. Never rejects. */
export async function checkUrl(input: unknown, schemes: readonly string[], settings: PolicySettings): Promise<UrlCheckResult> {
  const text = input instanceof URL ? input.href : input;
  if (typeof text !== 'string') return refuse('ERR_PALISADE_SSRF_INVALID_URL', `expected a URL string, received ${input === null ? 'null' : typeof input}`);
  if (text.length > settings.maxUrlLength) return refuse('ERR_PALISADE_SSRF_INVALID_URL', `the URL is ${text.length} characters long; the limit is ${settings.maxUrlLength}`);
  if (AMBIGUOUS_CHARACTERS.test(text)) return refuse('ERR_PALISADE_SSRF_INVALID_URL', 'the URL holds whitespace, control characters or backslashes');
  const written = SCHEME.exec(text);
  if (written === null) return refuse('ERR_PALISADE_SSRF_INVALID_URL', 'the value is not an absolute URL');
  const scheme = written[1]!.toLowerCase();
  if (!schemes.includes(scheme)) return refuse('ERR_PALISADE_SSRF_SCHEME_NOT_ALLOWED', `scheme "${scheme.slice(0, 32)}" is not allowed; allowed: ${schemes.join(', ')}`);
  const authority = AUTHORITY.exec(text);
  // An empty authority too: WHATWG reads `https:///host` as `https://host`.
  if (authority === null || authority[1] === '') return refuse('ERR_PALISADE_SSRF_INVALID_URL', 'the URL is not written as scheme://host/...');
  // Checked on the text as written: WHATWG drops an empty `@` (`https://@host`),
  // which other parsers may not.
  if (authority[1]!.includes('@')) return refuse('ERR_PALISADE_SSRF_USERINFO', 'the URL carries user information (user:password@host)');

  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse('ERR_PALISADE_SSRF_INVALID_URL', 'the URL does not parse');
  }
  // Belt and braces: the authority test above should already have caught it.
  if (url.username !== '' || url.password !== '') return refuse('ERR_PALISADE_SSRF_USERINFO', 'the URL carries user information (user:password@host)');

  const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
  if (port === 0 || (settings.allowPorts !== null ? !settings.allowPorts.has(port) : isBadPort(port))) {
    return refuse('ERR_PALISADE_SSRF_PORT_NOT_ALLOWED', `port ${port} is not allowed`);
  }

  let host = url.hostname;
  if (host.startsWith('[')) host = host.slice(1, -1);
  if (isIP(host) !== 0) {
    if (settings.isDeniedHost?.(host) || (settings.isAllowedHost !== null && !settings.isAllowedHost(host))) return refuse('ERR_PALISADE_SSRF_HOST_NOT_ALLOWED', `host ${host} is not allowed`);
    const verdict = classifyAddress(host, settings.addressRules);
    if (!verdict.allowed) return refuse('ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED', `address ${verdict.address} is ${verdict.why}`);
    return { ok: true, url, addresses: Object.freeze([verdict.address]) };
  }

  // One trailing dot makes the name fully qualified without changing where
  // it leads; strip it so `localhost.` and `denied.example.` match too.
  if (host.endsWith('.')) {
    host = host.slice(0, -1);
    url.hostname = host;
  }
  const malformed = malformedHostName(host);
  if (malformed !== null) return refuse('ERR_PALISADE_SSRF_INVALID_URL', malformed);
  if (isLocalhostName(host)) return refuse('ERR_PALISADE_SSRF_HOST_NOT_ALLOWED', `host ${host} is a localhost name (RFC 6761)`);
  if (settings.isDeniedHost?.(host)) return refuse('ERR_PALISADE_SSRF_HOST_NOT_ALLOWED', `host ${host} is in denyHosts`);
  if (settings.isAllowedHost !== null && !settings.isAllowedHost(host)) return refuse('ERR_PALISADE_SSRF_HOST_NOT_ALLOWED', `host ${host} is not in allowHosts`);

  const resolution = await resolveWithin(settings.resolve, host, settings.resolveTimeoutMs);
  if (!resolution.ok) return refuse('ERR_PALISADE_SSRF_UNRESOLVABLE', `host ${host} does not resolve: ${resolution.why}`);
  const found = resolution.addresses;
  if (found.length === 0) return refuse('ERR_PALISADE_SSRF_UNRESOLVABLE', `host ${host} does not resolve: no address`);
  if (found.length > settings.maxAddresses) return refuse('ERR_PALISADE_SSRF_TOO_MANY_ADDRESSES', `host ${host} resolves to ${found.length} addresses; the limit is ${settings.maxAddresses}`);
  // Every address, not just the first: the connection may use any of them
  // (happy eyeballs, a retry), and an attacker needs only one to be internal.
  const addresses: string[] = [];
  for (let i = 0; i < found.length; i++) {
    const candidate = found[i];
    const verdict = classifyAddress(typeof candidate === 'string' ? candidate : String(candidate), settings.addressRules);
    if (!verdict.allowed) return refuse('ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED', `host ${host} resolves to ${verdict.address.slice(0, 64)}, which is ${verdict.why}`);
    if (!addresses.includes(verdict.address)) addresses.push(verdict.address);
  }
  return { ok: true, url, addresses: Object.freeze(addresses) };
}
