import { createHash } from 'node:crypto';
import type { OperationPolicy, RequestContext } from '@palisade/core';

export type LimitKey = 'ip' | 'sub' | 'client' | 'operation';

/** Builds a counter key from a request and its client address key. Built at start-up, one per limit and operation. */
export type KeyBuilder = (ctx: RequestContext, address: string) => string;

// Free-text parts (subjects, client ids, operationIds) are length-prefixed
// so that no choice of values can make two different combinations spell
// the same key ("a|b" + "c" vs "a" + "b|c").
function tagged(tag: string, value: string): string {
  return `${tag}${value.length}:${value}`;
}

// A `sub` or `client` key on a request without one (anonymous, or a
// client-credentials token without `sub`) counts per address instead, so
// that no caller escapes a limit by not authenticating.
function subjectPart(ctx: RequestContext, address: string): string {
  const principal = ctx.principal;
  if (principal !== null) {
    if (principal.subject !== null) return tagged('s', principal.subject);
    if (principal.clientId !== null) return tagged('c', principal.clientId);
  }
  return `a:${address}`;
}

function clientPart(ctx: RequestContext, address: string): string {
  const principal = ctx.principal;
  if (principal !== null && principal.clientId !== null) return tagged('c', principal.clientId);
  if (principal !== null && principal.subject !== null) return tagged('s', principal.subject);
  return `a:${address}`;
}

const addressPart: KeyBuilder = (_ctx, address) => address;

/**
 * The key builder for `by` on `operation` (null: a request that matched
 * no operation). Specialised for one key, the common case; a combination
 * joins its parts with `|`.
 */
export function buildKey(by: readonly LimitKey[], operation: OperationPolicy | null): KeyBuilder {
  const operationPart = operation === null ? 'u' : tagged('o', operation.operationId);
  const parts: KeyBuilder[] = [];
  for (const key of ['ip', 'sub', 'client', 'operation'] as const) {
    if (!by.includes(key)) continue;
    parts.push(key === 'ip' ? addressPart : key === 'sub' ? subjectPart : key === 'client' ? clientPart : () => operationPart);
  }
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 2) {
    const [first, second] = parts as [KeyBuilder, KeyBuilder];
    return (ctx, address) => `${first(ctx, address)}|${second(ctx, address)}`;
  }
  return (ctx, address) => {
    let key = parts[0]!(ctx, address);
    for (let i = 1; i < parts.length; i++) key += `|${parts[i]!(ctx, address)}`;
    return key;
  };
}

/** True when a key needs the caller, so its limit runs after authentication. */
export function needsCaller(by: readonly LimitKey[]): boolean {
  return by.includes('sub') || by.includes('client');
}

const MAX_IDENTIFIER_LENGTH = 256;

/**
 * The counter key of a login identifier. Case, Unicode compatibility forms
 * and surrounding spaces are folded, so `Alice`, `ALICE` and `alice ` share
 * one budget of failures whatever the service compares; long values are
 * hashed so they cannot grow the store.
 */
export function identifierKey(value: string): string {
  const folded = value.normalize('NFKC').trim().toLowerCase();
  return folded.length > MAX_IDENTIFIER_LENGTH ? `#${createHash('sha256').update(folded).digest('base64url')}` : folded;
}

