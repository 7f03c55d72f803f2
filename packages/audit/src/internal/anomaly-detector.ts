import { hash } from 'node:crypto';
import { deny, type Denial, type Principal, type ReasonCode, type RequestContext } from '@palisade/core';
import { normalizeAddress, type Counter, type CounterResult, type RateLimitStore } from '@palisade/rate-limit';

/** Alert codes, permanent like reason codes. */
export type AlertCode = 'bola_enumeration' | 'token_replay_suspected' | 'auth_failure_burst' | 'audit_write_failed';

export const ALERT_CODES: readonly AlertCode[] = Object.freeze(['bola_enumeration', 'token_replay_suspected', 'auth_failure_burst', 'audit_write_failed']);

/** One alert, as written to the trail (`event: "alert"`) and given to `onAlert`. */
export interface AuditAlert {
  readonly alert: AlertCode;
  /** ISO 8601. */
  readonly time: string;
  readonly sub: string | null;
  readonly clientId: string | null;
  /** The client address of the request that crossed the threshold. */
  readonly ip: string | null;
  /** The token's `jti` (token replay): not a secret, and what `revokeToken` needs. */
  readonly jti: string | null;
  /** The request that crossed the threshold. */
  readonly requestId: string | null;
  readonly operationId: string | null;
  /** What was counted in the window: denials, distinct addresses, failures. */
  readonly count: number | null;
  readonly windowMs: number | null;
  /** How long the subject is now refused (`subject_blocked`), or null. */
  readonly blockMs: number | null;
  /** A sentence for humans, when the code needs one (`audit_write_failed`). */
  readonly detail: string | null;
}

/** Normalised detector settings (milliseconds). */
export interface AnomalySettings {
  readonly enumeration: { readonly threshold: number; readonly windowMs: number; readonly blockMs: number };
  readonly tokenReplay: { readonly maxAddresses: number; readonly windowMs: number };
  readonly authFailures: { readonly threshold: number; readonly windowMs: number };
}

// Ownership denials: the answer an ID-enumerating caller collects.
const ENUMERATION_REASONS: ReadonlySet<ReasonCode> = new Set(['not_found_or_not_owner']);
// A credential was presented and failed. `token_missing` is left out: it is
// a client that sent nothing (a scanner, a misconfigured app), and counting
// it would drown real bursts of forged or stolen credentials.
const AUTH_FAILURE_REASONS: ReadonlySet<ReasonCode> = new Set<ReasonCode>([
  'token_invalid',
  'token_malformed',
  'token_too_large',
  'token_expired',
  'token_not_yet_valid',
  'token_signature_invalid',
  'token_issuer_invalid',
  'token_audience_invalid',
  'token_type_invalid',
  'token_algorithm_not_allowed',
  'token_claims_invalid',
  'token_revoked',
  'token_binding_invalid',
  'bad_credentials',
]);

const MAX_LOCAL_ENTRIES = 10_000;

interface AlertContext {
  readonly ctx: RequestContext;
  readonly count: number;
  readonly windowMs: number;
  readonly blockMs: number | null;
}

/**
 * Counts what anomalies are made of in the shared rate-limit store, so
 * that with a Redis store every instance's requests add up, and raises
 * each alert once per window and key: a counter's `consumed` passes the
 * threshold exactly once per window, and the store's increment is atomic,
 * so exactly one request (on one instance) sees it.
 */
export class AnomalyDetector {
  readonly #store: RateLimitStore;
  readonly #settings: AnomalySettings;
  readonly #raise: (alert: AuditAlert) => void;
  readonly #onStoreError: (error: unknown) => void;
  readonly #enumeration: Counter;
  readonly #blocks: Counter;
  readonly #replayPairs: Counter;
  readonly #replayAddresses: Counter;
  readonly #authFailures: Counter;
  /** Blocks this instance set: they apply at once, before the store is asked. */
  readonly #localBlocks = new Map<string, number>();
  /** token+address pairs already counted, until their store window ends: saves a store call per request. */
  readonly #seenPairs = new Map<string, number>();
  readonly #pending = new Set<Promise<void>>();

  constructor(store: RateLimitStore, settings: AnomalySettings, raise: (alert: AuditAlert) => void, onStoreError: (error: unknown) => void) {
    this.#store = store;
    this.#settings = settings;
    this.#raise = raise;
    this.#onStoreError = onStoreError;
    const { enumeration, tokenReplay, authFailures } = settings;
    // points = threshold: the threshold-th consumption is the last one
    // allowed; `allowed && consumed === threshold` then holds for exactly
    // one consumption per window, whether or not the store keeps counting
    // past its limit.
    this.#enumeration = store.counter({ keyPrefix: 'palisade-audit-enum', points: enumeration.threshold, durationMs: enumeration.windowMs });
    this.#blocks = store.counter({ keyPrefix: 'palisade-audit-block', points: 1, durationMs: enumeration.blockMs });
    this.#replayPairs = store.counter({ keyPrefix: 'palisade-audit-replay-pair', points: 1, durationMs: tokenReplay.windowMs });
    this.#replayAddresses = store.counter({ keyPrefix: 'palisade-audit-replay', points: tokenReplay.maxAddresses + 1, durationMs: tokenReplay.windowMs });
    this.#authFailures = store.counter({ keyPrefix: 'palisade-audit-auth-fail', points: authFailures.threshold, durationMs: authFailures.windowMs });
  }

  /**
   * The `subject_blocked` check (stage `rate-limit`, after authentication).
   * Synchronous for a memory store; a shared store is asked, since another
   * instance may have set the block. A store that fails does not block:
   * this is a second line of defence, and authentication and authorization
   * still run.
   */
  checkBlock(ctx: RequestContext): Denial | null | Promise<Denial | null> {
    const key = subjectKey(ctx.principal);
    if (key === null) return null;
    const until = this.#localBlocks.get(key);
    if (until !== undefined) {
      const left = until - Date.now();
      if (left > 0) return blocked(left);
      this.#localBlocks.delete(key);
    }
    if (this.#store.kind === 'memory') return null;
    return this.#blocks.peek(key).then(
      (state) => (state !== null && !state.allowed ? blocked(state.resetMs) : null),
      (error: unknown) => {
        this.#onStoreError(error);
        return null;
      },
    );
  }

  /** Counts a finished request. Returns at once; the counting runs in the background (see `whenIdle`). */
  observe(ctx: RequestContext): void {
    const principal = ctx.principal;
    const reason = ctx.denial === null ? null : ctx.denial.reason;
    if (reason !== null) {
      if (principal !== null && ENUMERATION_REASONS.has(reason)) this.#track(this.#countEnumeration(ctx, principal));
      if (ctx.clientAddress !== null && AUTH_FAILURE_REASONS.has(reason)) this.#track(this.#countAuthFailure(ctx, ctx.clientAddress));
    }
    if (principal !== null && principal.tokenId !== null && ctx.clientAddress !== null) this.#countReplay(ctx, principal.tokenId, ctx.clientAddress);
  }

  /** Resolves once every count started so far has finished. */
  async whenIdle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async #countEnumeration(ctx: RequestContext, principal: Principal): Promise<void> {
    const key = subjectKey(principal);
    if (key === null) return;
    const { threshold, windowMs, blockMs } = this.#settings.enumeration;
    if (!crosses(await this.#enumeration.consume(key), threshold)) return;
    // Blocked here at once; in the store for the other instances.
    if (this.#localBlocks.size >= MAX_LOCAL_ENTRIES) this.#localBlocks.clear();
    this.#localBlocks.set(key, Date.now() + blockMs);
    this.#alert('bola_enumeration', { ctx, count: threshold, windowMs, blockMs });
    await this.#blocks.block(key, blockMs);
  }

  async #countAuthFailure(ctx: RequestContext, address: string): Promise<void> {
    const { threshold, windowMs } = this.#settings.authFailures;
    if (crosses(await this.#authFailures.consume(normalizeAddress(address)), threshold)) this.#alert('auth_failure_burst', { ctx, count: threshold, windowMs, blockMs: null });
  }

  // Distinct addresses per token need a set, which counters are not. Two
  // counters make one: the first sighting of a (token, address) pair in a
  // window is the one consumption that sees `consumed === 1` on the pair
  // counter, and only first sightings are counted on the token's counter.
  // With Redis both increments are atomic, so pairs seen by different
  // instances count once each. The windows are fixed, so the count never
  // exceeds the distinct addresses really seen within one window (no false
  // alert); a replay spread across a window boundary is caught in the next.
  #countReplay(ctx: RequestContext, tokenId: string, address: string): void {
    // The local key needs no hashing (most requests stop here): an address
    // holds no line break, so the pair reads back unambiguously. Two
    // addresses of one IPv6 /64 are two local keys but one store pair,
    // whose counter counts the first sighting only.
    const seenKey = `${digestIfLong(tokenId)}\n${address}`;
    const known = this.#seenPairs.get(seenKey);
    if (known !== undefined && known > Date.now()) return;
    this.#track(
      (async () => {
        const tokenKey = digest(tokenId);
        const pair = await this.#replayPairs.consume(digest(`${tokenId}\n${normalizeAddress(address)}`));
        if (this.#seenPairs.size >= MAX_LOCAL_ENTRIES) this.#seenPairs.clear();
        this.#seenPairs.set(seenKey, Date.now() + pair.resetMs);
        if (!crosses(pair, 1)) return;
        const { maxAddresses, windowMs } = this.#settings.tokenReplay;
        if (crosses(await this.#replayAddresses.consume(tokenKey), maxAddresses + 1)) this.#alert('token_replay_suspected', { ctx, count: maxAddresses + 1, windowMs, blockMs: null });
      })(),
    );
  }

  #alert(code: AlertCode, { ctx, count, windowMs, blockMs }: AlertContext): void {
    const principal = ctx.principal;
    this.#raise({
      alert: code,
      time: new Date().toISOString(),
      sub: principal?.subject ?? null,
      clientId: principal?.clientId ?? null,
      ip: ctx.clientAddress,
      jti: code === 'token_replay_suspected' ? (principal?.tokenId ?? null) : null,
      requestId: ctx.requestId,
      operationId: ctx.operation?.operationId ?? null,
      count,
      windowMs,
      blockMs,
      detail: null,
    });
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.#onStoreError(error)).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}

function crosses(result: CounterResult, threshold: number): boolean {
  return result.allowed && result.consumed === threshold;
}

function blocked(leftMs: number): Denial {
  return deny('subject_blocked', {
    headers: { 'retry-after': String(Math.max(1, Math.ceil(leftMs / 1000))) },
    privateDetail: 'subject blocked after ID enumeration (bola_enumeration alert)',
  });
}

/** The counting key of a caller: its subject, else its client. */
export function subjectKey(principal: Principal | null): string | null {
  if (principal === null) return null;
  if (principal.subject !== null) return `sub:${digestIfLong(principal.subject)}`;
  return principal.clientId === null ? null : `client:${digestIfLong(principal.clientId)}`;
}

function digest(value: string): string {
  return hash('sha256', value, 'base64url');
}

function digestIfLong(value: string): string {
  return value.length <= 128 ? value : `h:${digest(value)}`;
}
