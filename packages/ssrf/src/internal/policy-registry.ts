import type { UrlPolicy } from '../url-policy';

// Policies made by createUrlPolicy. createSafeFetch trusts a policy's
// "ok" to mean "these addresses were checked"; an object that merely has a
// `check` method (or an options object passed by mistake) must not pass.
const policies = new WeakSet<object>();

export function registerPolicy(policy: UrlPolicy): void {
  policies.add(policy);
}

/** True for objects made by `createUrlPolicy`. */
export function isUrlPolicy(value: unknown): value is UrlPolicy {
  return typeof value === 'object' && value !== null && policies.has(value);
}
