import type { LookupFunction } from 'node:net';
import { isIPv6 } from 'node:net';

/**
 * A `lookup` for `http(s).request` that answers only with the addresses
 * the policy checked, for only the host it checked. Node calls it instead
 * of DNS, so there is no second resolution for a rebinding attacker to
 * answer differently. With `all` (happy eyeballs, Node's default since
 * 20) every checked address is offered; each one passed the check.
 */
export function createPinnedLookup(hostname: string, addresses: readonly string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: isIPv6(address) ? 6 : 4 }));
  return (requested, options, callback) => {
    const family = options.family === 4 || options.family === 6 ? options.family : options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : 0;
    const candidates = family === 0 ? entries : entries.filter((entry) => entry.family === family);
    if (requested !== hostname || candidates.length === 0) {
      const error = Object.assign(new Error(`no checked address for ${requested}${family === 0 ? '' : ` (IPv${family})`}`), { code: 'ENOTFOUND' });
      callback(error, '', 0);
      return;
    }
    if (options.all) callback(null, candidates);
    else callback(null, candidates[0]!.address, candidates[0]!.family);
  };
}
