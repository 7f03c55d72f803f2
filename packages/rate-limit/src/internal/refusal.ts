import { deny, type Denial } from '@palisade/core';
import type { CounterResult } from '../store';

/**
 * One limit as the client is told about it, with its header strings
 * computed at start-up. Field syntax: draft-ietf-httpapi-ratelimit-headers
 * (revision 10): `RateLimit-Policy: "name";q=<quota>;w=<window seconds>`
 * and `RateLimit: "name";r=<remaining>;t=<seconds until reset>`, the policy
 * name as a Structured Fields String (RFC 9651 section 3.3.3).
 */
export interface PolicyDescription {
  /** The policy name as an sf-string, quotes included. */
  readonly quotedName: string;
  /** The whole `RateLimit-Policy` value. */
  readonly policyHeader: string;
  /** Reason of a refusal: `subject_blocked` for limits that block. */
  readonly reason: 'rate_limited' | 'subject_blocked';
  /** For the audit trail: which limit refused, and its size. */
  readonly label: string;
}

export function describePolicy(name: string, limit: number, windowMs: number, reason: PolicyDescription['reason']): PolicyDescription {
  const quotedName = sfString(name);
  return Object.freeze({
    quotedName,
    policyHeader: `${quotedName};q=${limit};w=${Math.max(1, Math.ceil(windowMs / 1000))}`,
    reason,
    label: `${name} (${limit} per ${formatMs(windowMs)})`,
  });
}

/** Whole seconds until `ms` have passed, at least 1 (`Retry-After` is delay-seconds, RFC 9110 section 10.2.3). */
export function retrySeconds(ms: number): number {
  return ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : 1;
}

/** The 429 for a spent limit: `Retry-After`, `RateLimit-Policy` and `RateLimit`. */
export function refuse(policy: PolicyDescription, result: CounterResult): Denial {
  const seconds = retrySeconds(result.resetMs);
  return deny(policy.reason, {
    detail: policy.reason === 'subject_blocked' ? `Too many attempts; try again in ${seconds} seconds.` : `Too many requests; try again in ${seconds} seconds.`,
    privateDetail: `${policy.label}: ${result.consumed} used, ${policy.reason === 'subject_blocked' ? 'blocked' : 'resets'} in ${result.resetMs} ms`,
    headers: {
      'retry-after': String(seconds),
      'ratelimit-policy': policy.policyHeader,
      ratelimit: `${policy.quotedName};r=0;t=${seconds}`,
    },
  });
}

// sf-string: printable ASCII only, `"` and `\` escaped. Names come from the
// document (operationIds) and may hold anything; what cannot be said is
// replaced rather than dropped, so two names stay apart.
function sfString(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '\\$&')}"`;
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
