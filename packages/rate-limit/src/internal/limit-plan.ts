import { PalisadeConfigError, type CompiledDocument, type GuardVerdict, type OperationPolicy, type RateLimitRule, type RequestContext } from '@palisade/core';
import type { Counter, CounterResult, RateLimitStore } from '../store';
import { compileJsonPointer, type JsonPointerReader } from '@palisade/core';
import { buildKey, needsCaller, type KeyBuilder, type LimitKey } from './limit-keys';
import { describePolicy, refuse, type PolicyDescription } from './refusal';

/** A rule after options and document are read: durations in ms, defaults filled. */
export interface RuleSpec {
  readonly name: string | null;
  readonly by: readonly LimitKey[];
  readonly limit: number;
  readonly windowMs: number;
  readonly cost: number;
  readonly blockMs: number | null;
}

export interface QuotaSpec {
  readonly by: readonly LimitKey[];
  readonly limit: number;
  readonly windowMs: number;
  readonly countOn: 'attempt' | 'success';
}

export interface BruteForceSpec {
  readonly identifier: string;
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly blockMs: number;
  readonly perAddress: { readonly limit: number; readonly windowMs: number } | null;
}

export interface OperationSpec {
  readonly rules: readonly RuleSpec[];
  readonly quota: QuotaSpec | null;
  readonly bruteForce: BruteForceSpec | null;
  readonly cost: number;
}

/** The rate limiter's settings, validated and normalised. */
export interface LimiterSettings {
  readonly anonymous: { readonly limit: number; readonly windowMs: number; readonly credentialHeaders: readonly string[] } | null;
  readonly authenticated: { readonly limit: number; readonly windowMs: number } | null;
  readonly rules: readonly RuleSpec[];
  readonly operations: Readonly<Record<string, OperationSpec>>;
}

/**
 * One limit on one operation: the counter, the key builder, the cost and
 * the headers of its refusal, all fixed at start-up. `verdict` is shared
 * by every request, so a check allocates no closure.
 */
export interface Limit {
  readonly counter: Counter;
  readonly key: KeyBuilder;
  readonly cost: number;
  readonly policy: PolicyDescription;
  readonly verdict: (result: CounterResult) => GuardVerdict;
}

/** A rule shared by operations: one counter, a key builder per operation. */
interface SharedRule {
  readonly spec: RuleSpec;
  readonly counter: Counter;
  readonly policy: PolicyDescription;
}

export interface BruteForcePlan {
  readonly failures: Counter;
  readonly policy: PolicyDescription;
  readonly maxFailures: number;
  readonly blockMs: number;
  readonly identifier: JsonPointerReader;
}

export interface QuotaPlan {
  readonly limit: Limit;
  readonly countOn: 'attempt' | 'success';
}

/** What each of the three guards does for one operation (or for unmatched requests). */
export interface OperationPlan {
  /** Address limits, counted before authentication. */
  readonly admission: readonly Limit[];
  /** Limits keyed by the caller, counted after authentication. */
  readonly caller: readonly Limit[];
  readonly anonymous: Limit | null;
  readonly authenticated: Limit | null;
  readonly bruteForce: BruteForcePlan | null;
  readonly quota: QuotaPlan | null;
}

function makeLimit(counter: Counter, key: KeyBuilder, cost: number, policy: PolicyDescription): Limit {
  return Object.freeze({ counter, key, cost, policy, verdict: (result: CounterResult) => (result.allowed ? null : refuse(policy, result)) });
}

/**
 * Builds every counter once for a compiled document: the document root's
 * rules and the code's global rules are shared by all operations; each
 * operation adds its own rules, quota and brute-force protection.
 *
 * @throws PalisadeConfigError for `operations` naming no operation, or a
 *   quota or brute-force protection declared both in the document and in code.
 */
export class LimitPlan {
  readonly #store: RateLimitStore;
  readonly #settings: LimiterSettings;
  readonly #global: readonly SharedRule[];
  readonly #anonymous: { readonly counter: Counter; readonly policy: PolicyDescription } | null;
  readonly #authenticated: { readonly counter: Counter; readonly policy: PolicyDescription } | null;
  readonly #plans = new Map<OperationPolicy | null, OperationPlan>();

  constructor(compiled: CompiledDocument, store: RateLimitStore, settings: LimiterSettings) {
    this.#store = store;
    this.#settings = settings;
    for (const operationId of Object.keys(settings.operations)) {
      if (!compiled.operationsById.has(operationId)) {
        throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `createRateLimiter: operations.${operationId} names no operation of the document.`, {
          path: `operations.${operationId}`,
          received: operationId,
          fix: `Use an operationId the document declares: ${[...compiled.operationsById.keys()].slice(0, 10).join(', ')}${compiled.operationsById.size > 10 ? ', ...' : ''}.`,
        });
      }
    }
    const globalSpecs = [...(compiled.extensions.rateLimits ?? []).map(fromDocumentRule), ...settings.rules];
    const globalNames = uniqueNames(globalSpecs, 'global', 'x-palisade-rate-limit (document root) and rules');
    this.#global = globalSpecs.map((spec, index) => {
      const name = globalNames[index]!;
      return { spec, counter: this.#counter(`rl:global:${name}`, spec.limit, spec.windowMs, spec.blockMs), policy: describePolicy(name, spec.limit, spec.windowMs, spec.blockMs === null ? 'rate_limited' : 'subject_blocked') };
    });
    const { anonymous, authenticated } = settings;
    this.#anonymous = anonymous === null ? null : { counter: this.#counter('rl:anonymous', anonymous.limit, anonymous.windowMs, null), policy: describePolicy('anonymous', anonymous.limit, anonymous.windowMs, 'rate_limited') };
    this.#authenticated =
      authenticated === null ? null : { counter: this.#counter('rl:authenticated', authenticated.limit, authenticated.windowMs, null), policy: describePolicy('authenticated', authenticated.limit, authenticated.windowMs, 'rate_limited') };
    for (const operation of compiled.operations) this.#plans.set(operation, this.#planOperation(operation));
    this.#plans.set(null, this.#planOperation(null));
  }

  /** The plan for an operation of this document, or for unmatched requests (null). */
  planFor(operation: OperationPolicy | null): OperationPlan {
    return this.#plans.get(operation)!;
  }

  #counter(keyPrefix: string, points: number, durationMs: number, blockMs: number | null): Counter {
    return this.#store.counter(blockMs === null ? { keyPrefix, points, durationMs } : { keyPrefix, points, durationMs, blockDurationMs: blockMs });
  }

  #planOperation(operation: OperationPolicy | null): OperationPlan {
    const code = operation === null ? undefined : this.#settings.operations[operation.operationId];
    const unit = code?.cost ?? 1;
    const admission: Limit[] = [];
    const caller: Limit[] = [];
    for (const rule of this.#global) {
      const limit = makeLimit(rule.counter, buildKey(rule.spec.by, operation), rule.spec.cost * unit, rule.policy);
      (needsCaller(rule.spec.by) ? caller : admission).push(limit);
    }
    const anonymous = this.#anonymous === null ? null : makeLimit(this.#anonymous.counter, buildKey(['ip'], operation), unit, this.#anonymous.policy);
    const authenticated = this.#authenticated === null ? null : makeLimit(this.#authenticated.counter, buildKey(['sub'], operation), unit, this.#authenticated.policy);
    if (operation === null) return Object.freeze({ admission, caller, anonymous, authenticated, bruteForce: null, quota: null });

    const id = operation.operationId;
    const own = [...(operation.extensions.rateLimits ?? []).map(fromDocumentRule), ...(code?.rules ?? [])];
    const names = uniqueNames(own, id, `the rate limits of operation ${id}`);
    own.forEach((spec, index) => {
      const name = names[index]!;
      const counter = this.#counter(`rl:op:${id}:${name}`, spec.limit, spec.windowMs, spec.blockMs);
      const limit = makeLimit(counter, buildKey(spec.by, operation), spec.cost, describePolicy(name, spec.limit, spec.windowMs, spec.blockMs === null ? 'rate_limited' : 'subject_blocked'));
      (needsCaller(spec.by) ? caller : admission).push(limit);
    });

    const bruteForceSpec = pickOne(operation, 'bruteForce', 'x-palisade-brute-force', operation.extensions.bruteForce, code?.bruteForce ?? null);
    let bruteForce: BruteForcePlan | null = null;
    if (bruteForceSpec !== null) {
      if (bruteForceSpec.perAddress !== null) {
        const { limit, windowMs } = bruteForceSpec.perAddress;
        admission.push(makeLimit(this.#counter(`bf:address:${id}`, limit, windowMs, null), buildKey(['ip'], operation), 1, describePolicy(`${id}-per-address`, limit, windowMs, 'rate_limited')));
      }
      bruteForce = Object.freeze({
        failures: requireRefund(this.#counter(`bf:identifier:${id}`, bruteForceSpec.maxFailures, bruteForceSpec.windowMs, bruteForceSpec.blockMs), `brute-force protection of operation ${id}`),
        policy: describePolicy(`${id}-failures`, bruteForceSpec.maxFailures, bruteForceSpec.windowMs, 'subject_blocked'),
        maxFailures: bruteForceSpec.maxFailures,
        blockMs: bruteForceSpec.blockMs,
        identifier: compileJsonPointer(bruteForceSpec.identifier),
      });
    }

    const quotaSpec = pickOne(operation, 'quota', 'x-palisade-quota', operation.extensions.quota, code?.quota ?? null);
    const quota =
      quotaSpec === null
        ? null
        : Object.freeze({
            limit: makeLimit(
              quotaSpec.countOn === 'success' ? requireRefund(this.#counter(`quota:${id}`, quotaSpec.limit, quotaSpec.windowMs, null), `the quota of operation ${id} (countOn: success)`) : this.#counter(`quota:${id}`, quotaSpec.limit, quotaSpec.windowMs, null), buildKey(quotaSpec.by, operation), 1, describePolicy(`${id}-quota`, quotaSpec.limit, quotaSpec.windowMs, 'rate_limited')),
            countOn: quotaSpec.countOn,
          });
    return Object.freeze({ admission, caller, anonymous, authenticated, bruteForce, quota });
  }
}

// Reservations taken before the handler are given back when the outcome
// says they should not count; a store that cannot do that would count
// them anyway, so it is refused rather than left to over-count.
function requireRefund(counter: Counter, what: string): Counter {
  if (typeof counter.refund === 'function') return counter;
  throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `createRateLimiter: ${what} needs a store whose counters can give points back (Counter.refund), and this store's cannot.`, {
    path: 'store',
    fix: 'Use createRateLimitStore(), or add refund(key, cost) to the store\'s counters.',
  });
}

function fromDocumentRule(rule: RateLimitRule): RuleSpec {
  return { name: rule.name, by: rule.by, limit: rule.limit, windowMs: rule.windowMs, cost: rule.cost, blockMs: rule.blockMs };
}

// Names label counters (and Redis keys) and RateLimit-Policy entries, so
// two rules of one scope must not share one.
function uniqueNames(specs: readonly RuleSpec[], base: string, where: string): string[] {
  const names = specs.map((spec, index) => spec.name ?? (specs.length === 1 ? base : `${base}-${index + 1}`));
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `createRateLimiter: two rules in ${where} are named "${name}"; each rule needs its own name, since it names the counter and the RateLimit-Policy entry.`, {
        path: 'rules',
        received: name,
        fix: 'Rename one of them.',
      });
    }
    seen.add(name);
  }
  return names;
}

function pickOne<T>(operation: OperationPolicy, option: string, extension: string, fromDocument: T | null, fromCode: T | null): T | null {
  if (fromDocument !== null && fromCode !== null) {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `createRateLimiter: operations.${operation.operationId}.${option} and the document's ${extension} at ${operation.pointer} both configure operation ${operation.operationId}; remove one.`, {
      path: `operations.${operation.operationId}.${option}`,
      fix: `Keep it either in the document (${extension}) or in code (operations.${operation.operationId}.${option}).`,
    });
  }
  return fromDocument ?? fromCode;
}

/** Consumes every limit for a request; the first refused limit, in order, answers. */
export function checkLimits(ctx: RequestContext, address: string, limits: readonly Limit[], extra: Limit | null): GuardVerdict | Promise<GuardVerdict> {
  const count = limits.length;
  if (count === 0) return extra === null ? null : countOn(extra, extra.key(ctx, address));
  if (count === 1 && extra === null) return countOn(limits[0]!, limits[0]!.key(ctx, address));
  // Every limit counts the request (in parallel: one round trip to Redis),
  // then the first refusal in order answers.
  const verdicts: (GuardVerdict | Promise<GuardVerdict>)[] = new Array(count + (extra === null ? 0 : 1));
  let waiting = false;
  for (let i = 0; i < count; i++) {
    const limit = limits[i]!;
    waiting = (verdicts[i] = countOn(limit, limit.key(ctx, address))) instanceof Promise || waiting;
  }
  if (extra !== null) waiting = (verdicts[count] = countOn(extra, extra.key(ctx, address))) instanceof Promise || waiting;
  return waiting ? Promise.all(verdicts).then(firstRefusal) : firstRefusal(verdicts as GuardVerdict[]);
}

function countOn(limit: Limit, key: string): GuardVerdict | Promise<GuardVerdict> {
  return countThen(limit.counter, key, limit.cost, limit.verdict);
}

/**
 * Consumes `cost` for `key` and hands the result to `decide`: at once
 * where the counter counts in memory (`consumeSync`), else when the store
 * answers. Every check of this package counts through here, so a memory
 * store keeps the whole chain synchronous.
 */
export function countThen<T>(counter: Counter, key: string, cost: number, decide: (result: CounterResult) => T): T | Promise<T> {
  const consumeSync = counter.consumeSync;
  return consumeSync === undefined ? counter.consume(key, cost).then(decide) : decide(consumeSync(key, cost));
}

function firstRefusal(verdicts: GuardVerdict[]): GuardVerdict {
  for (let i = 0; i < verdicts.length; i++) if (verdicts[i]) return verdicts[i];
  return null;
}
