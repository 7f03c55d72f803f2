import {
  PalisadeConfigError,
  REASON_CODES,
  createOptionsValidator,
  deepFreeze,
  deny,
  parseDuration,
  type CompiledDocument,
  type Guard,
  type GuardHooks,
  type GuardVerdict,
  type OperationPolicy,
  type JsonPointerReader,
  type RequestContext,
  type RequestHeaders,
} from '@palisade/core';
import type { CounterResult, RateLimitStore } from './store';
import { addressKey, createAddressResolver, type AddressResolver } from './internal/client-address';
import { identifierKey, type LimitKey } from './internal/limit-keys';
import { LimitPlan, checkLimits, countThen, type BruteForcePlan, type BruteForceSpec, type LimiterSettings, type OperationPlan, type OperationSpec, type QuotaPlan, type QuotaSpec, type RuleSpec } from './internal/limit-plan';
import { createRateLimitStore } from './internal/rate-limit-store';
import { refuse } from './internal/refusal';
import { reportWarning, type RateLimitWarning } from './internal/warnings';

/** A duration: seconds (`60`), or a string such as `"250ms"`, `"30s"`, `"15m"`, `"1h"`. */
export type Duration = number | string;

/** What a counter is kept per: client address, subject, OAuth client, operation. */
export type { LimitKey };

/** A rate limit, as in `x-palisade-rate-limit`. */
export interface RateLimitRuleOptions {
  /** Names the rule in `RateLimit-Policy` and in its counter. Default: derived from where it is declared. */
  readonly name?: string;
  /** What the counter is kept per. Default `['ip']`. */
  readonly by?: readonly LimitKey[];
  /** Points allowed per window. */
  readonly limit: number;
  readonly window: Duration;
  /** Points one request takes. Default 1. */
  readonly cost?: number;
  /** Once over the limit, refuse for this long (`subject_blocked`) rather than until the window ends. */
  readonly block?: Duration;
}

/** A business-flow quota, as in `x-palisade-quota`. */
export interface QuotaOptions {
  /** Default `['sub']`. */
  readonly by?: readonly LimitKey[];
  readonly limit: number;
  readonly window: Duration;
  /** `attempt` (default): every request that reaches the handler counts; `success`: only those answered 2xx. */
  readonly countOn?: 'attempt' | 'success';
}

/** Brute-force protection of a login operation, as in `x-palisade-brute-force`. */
export interface BruteForceOptions {
  /** JSON pointer into the request body to the identifier (`/username`). */
  readonly identifier: string;
  /** Failures (401 answers) allowed per identifier within `window`. */
  readonly maxFailures: number;
  readonly window: Duration;
  /** How long the identifier is then locked out. Default `window`. */
  readonly block?: Duration;
  /** Attempts allowed per client address, whatever identifier they name. */
  readonly perAddress?: { readonly limit: number; readonly window: Duration };
}

/** Limits of one operation given in code, added to (rules, cost) or instead of (quota, bruteForce) the document's. */
export interface OperationLimitOptions {
  readonly rateLimit?: RateLimitRuleOptions | readonly RateLimitRuleOptions[];
  readonly quota?: QuotaOptions;
  readonly bruteForce?: BruteForceOptions;
  /** Points each request takes from the global limits (`anonymous`, `authenticated`, global rules). Default 1. */
  readonly cost?: number;
}

/** A per-caller limit. */
export interface CallerLimitOptions {
  readonly limit: number;
  readonly window: Duration;
}

export interface AnonymousLimitOptions extends CallerLimitOptions {
  /**
   * Request headers that carry credentials. A request without any of them
   * is anonymous for sure and is counted (and refused) before
   * authentication; one with them is counted when authentication does not
   * establish a caller. Default `['authorization']`.
   */
  readonly credentialHeaders?: readonly string[];
}

export interface RateLimiterOptions {
  /** Where counters live. Default: a new memory store (`createRateLimitStore()`), which warns once under `NODE_ENV=production`. */
  readonly store?: RateLimitStore;
  /**
   * Proxies whose `X-Forwarded-For` is believed: `'none'` (default: the
   * socket's address is the client's), `'loopback'`, or a list of
   * addresses, CIDRs and proxy-addr range names (`loopback`, `linklocal`,
   * `uniquelocal`). `X-Real-IP` and `Forwarded` are never read.
   */
  readonly trustProxy?: 'none' | 'loopback' | readonly string[];
  /** IPv6 clients are counted per network of this many bits. Default 64. */
  readonly ipv6Prefix?: number;
  /** Limit per client address for requests without an authenticated caller (404s included). Default: none. */
  readonly anonymous?: AnonymousLimitOptions;
  /** Limit per subject (or client, for tokens without `sub`) for authenticated requests. Default: none. */
  readonly authenticated?: CallerLimitOptions;
  /** Rules for every operation, added to the document root's `x-palisade-rate-limit`. */
  readonly rules?: readonly RateLimitRuleOptions[];
  /** Limits per operationId, in code. */
  readonly operations?: Readonly<Record<string, OperationLimitOptions>>;
  /** Receives warnings. Default: `process.emitWarning`. */
  readonly onWarning?: (warning: RateLimitWarning) => void;
}

/**
 * The rate limiter: one guard that checks at three points of the chain,
 * plus the store it counts in. Put it in the engine's `guards`, anywhere
 * in the list: each check carries its own stage.
 *
 * - stage `admission` (before authentication): resolves the client
 *   address (sets `ctx.clientAddress`, which the audit trail logs), counts
 *   address limits, anonymous requests without credentials, and the
 *   per-address attempts of brute-force protection. Floods are refused
 *   here before any token is verified.
 * - stage `rate-limit` (after authentication): limits keyed by subject or
 *   client, the `authenticated` limit, and anonymous requests that carried
 *   credentials.
 * - stage `ownership` (last, after the schema validator has parsed the
 *   body): brute-force lockouts, by the identifier in the body, and quotas.
 */
export interface RateLimiter extends Guard {
  readonly store: RateLimitStore;
}

const durationSchema = {
  anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'string', minLength: 1 }],
  errorMessage: 'must be a duration: seconds (60) or a string such as "30s", "15m", "1h"',
};
const limitKeys = { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['ip', 'sub', 'client', 'operation'] } };
const ruleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['limit', 'window'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', errorMessage: 'must be 1 to 64 characters of A-Z a-z 0-9 _ . -' },
    by: limitKeys,
    limit: { type: 'integer', minimum: 1 },
    window: durationSchema,
    cost: { type: 'integer', minimum: 1 },
    block: durationSchema,
  },
};
const callerLimit = { type: 'object', additionalProperties: false, required: ['limit', 'window'], properties: { limit: { type: 'integer', minimum: 1 }, window: durationSchema } };
const assertOptions: (options: unknown) => asserts options is RateLimiterOptions = createOptionsValidator<RateLimiterOptions>('createRateLimiter', {
  type: 'object',
  additionalProperties: false,
  properties: {
    store: { jsType: 'object' },
    trustProxy: { anyOf: [{ enum: ['none', 'loopback'] }, { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } }] },
    ipv6Prefix: { type: 'integer', minimum: 16, maximum: 128 },
    anonymous: {
      type: 'object',
      additionalProperties: false,
      required: ['limit', 'window'],
      properties: {
        limit: { type: 'integer', minimum: 1 },
        window: durationSchema,
        credentialHeaders: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" } },
      },
    },
    authenticated: callerLimit,
    rules: { type: 'array', items: ruleSchema },
    operations: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: {
          rateLimit: { anyOf: [ruleSchema, { type: 'array', minItems: 1, items: ruleSchema }] },
          quota: {
            type: 'object',
            additionalProperties: false,
            required: ['limit', 'window'],
            properties: { by: limitKeys, limit: { type: 'integer', minimum: 1 }, window: durationSchema, countOn: { enum: ['attempt', 'success'] } },
          },
          bruteForce: {
            type: 'object',
            additionalProperties: false,
            required: ['identifier', 'maxFailures', 'window'],
            properties: {
              identifier: { type: 'string', pattern: '^(/[^/]+)+$', errorMessage: 'must be a JSON pointer into the request body, such as "/username"' },
              maxFailures: { type: 'integer', minimum: 1 },
              window: durationSchema,
              block: durationSchema,
              perAddress: callerLimit,
            },
          },
          cost: { type: 'integer', minimum: 1 },
        },
      },
    },
    onWarning: { jsType: 'function' },
  },
});

// Denials by which authentication refused a request: such a request had
// credentials and no caller came of them, so it counts as anonymous.
const AUTHENTICATION_REASONS: ReadonlySet<string> = new Set(REASON_CODES.filter((reason) => reason.startsWith('token_')));
const NOT_PARSED = Symbol('body not parsed');

/**
 * Creates the rate limiter: limits per client address, subject, OAuth
 * client, operation or any combination (`x-palisade-rate-limit` on the
 * document root and on operations, or `rules` / `operations` in code),
 * a global limit for anonymous and one for authenticated traffic,
 * business-flow quotas (`x-palisade-quota`) and brute-force protection of
 * logins (`x-palisade-brute-force`). Everything is compiled once, when the
 * engine is created; a request builds its keys and consumes once per limit.
 *
 * Over a limit: 429 `rate_limited` (or `subject_blocked` for lockouts and
 * rules with `block`) with `Retry-After` and the `RateLimit-Policy` /
 * `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers).
 *
 * @example
 * ```ts
 * const rateLimiter = createRateLimiter({
 *   store: createRateLimitStore({ redis }),
 *   trustProxy: 'loopback',
 *   anonymous: { limit: 120, window: '1m' },
 *   authenticated: { limit: 600, window: '1m' },
 * });
 * const palisade = await createPalisade({ document: './openapi.yaml', guards: [authentication, createSchemaValidator(), rateLimiter] });
 * ```
 * @throws PalisadeConfigError for invalid options (unknown keys with "did
 *   you mean", bad durations, a `trustProxy` entry that is not an address or
 *   CIDR); creating the engine throws one for `operations` naming no
 *   operation, or a quota / brute-force protection declared twice.
 */
export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  if (typeof options === 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'createRateLimiter received a function; pass an options object: createRateLimiter({ anonymous: { limit: 120, window: "1m" } }).', { path: '(options)' });
  }
  if (typeof (options as { store?: unknown }).store === 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'createRateLimiter: store is a function; it looks like the store factory was passed instead of a store. Call it: store: createRateLimitStore({ redis }).', { path: 'store', fix: 'store: createRateLimitStore({ redis })' });
  }
  if (isRedisClient((options as { store?: unknown }).store)) {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'createRateLimiter: store is a Redis client; wrap it in a store: store: createRateLimitStore({ redis }).', { path: 'store', fix: 'store: createRateLimitStore({ redis })' });
  }
  assertOptions(options);
  if (options.store !== undefined && typeof (options.store as { counter?: unknown }).counter !== 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', 'createRateLimiter received invalid options:\n  - store: must be a RateLimitStore (from createRateLimitStore)', {
      path: 'store',
      received: options.store,
      fix: 'Pass store: createRateLimitStore() or createRateLimitStore({ redis }).',
    });
  }
  const onWarning = options.onWarning ?? null;
  const resolver = compileTrustProxy(options.trustProxy ?? 'none');
  const settings = normaliseSettings(options);
  const ownsStore = options.store === undefined;
  const store = options.store ?? createRateLimitStore(onWarning === null ? {} : { onWarning });
  const ipv6Prefix = options.ipv6Prefix ?? 64;
  const credentialHeaders = settings.anonymous?.credentialHeaders ?? [];
  const hasCredentials = (headers: RequestHeaders): boolean => {
    for (let i = 0; i < credentialHeaders.length; i++) if (headers[credentialHeaders[i]!] !== undefined) return true;
    return false;
  };

  const plans = new WeakMap<CompiledDocument, LimitPlan>();
  const planFor = (compiled: CompiledDocument): LimitPlan => {
    let plan = plans.get(compiled);
    if (plan === undefined) {
      plan = new LimitPlan(compiled, store, settings);
      plans.set(compiled, plan);
    }
    return plan;
  };
  let closed = false;
  // The engine's close() reaches here; a store passed in is its owner's to close.
  const close = async () => {
    if (closed) return;
    closed = true;
    if (ownsStore) await store.close();
  };
  let bodyWarningGiven = false;
  const warnBodyNotParsed = () => {
    if (bodyWarningGiven) return;
    bodyWarningGiven = true;
    reportWarning(onWarning, {
      code: 'body_not_parsed',
      message:
        'A brute-force check met a request body that no guard had parsed, and refused the request with 500: brute-force protection reads the identifier from the body the schema validator parses. Add createSchemaValidator() to the engine\'s guards.',
    });
  };

  return Object.freeze({
    name: 'rate-limit',
    stage: 'admission' as const,
    store,
    init({ compiled }: { compiled: CompiledDocument }) {
      planFor(compiled);
    },
    compile(operation: OperationPolicy | null, { compiled }: { compiled: CompiledDocument }): readonly GuardHooks[] {
      const plan = planFor(compiled).planFor(operation);
      const hooks = [admissionHooks(plan, resolver, ipv6Prefix, hasCredentials)];
      const caller = callerHooks(plan, ipv6Prefix, hasCredentials);
      if (caller !== null) hooks.push(caller);
      const flow = flowHooks(plan, ipv6Prefix, warnBodyNotParsed);
      if (flow !== null) hooks.push(flow);
      return hooks;
    },
    close,
  });
}

function admissionHooks(plan: OperationPlan, resolver: AddressResolver, ipv6Prefix: number, hasCredentials: (headers: RequestHeaders) => boolean): GuardHooks {
  const limits = plan.admission;
  const anonymous = plan.anonymous;
  return {
    onRequest(ctx) {
      // Always: audit logs the address the limits counted.
      const address = resolver.resolve(ctx.view);
      ctx.clientAddress = address;
      const extra = anonymous !== null && !hasCredentials(ctx.headers) ? anonymous : null;
      if (limits.length === 0 && extra === null) return null;
      return checkLimits(ctx, addressKey(address, ipv6Prefix), limits, extra);
    },
  };
}

function callerHooks(plan: OperationPlan, ipv6Prefix: number, hasCredentials: (headers: RequestHeaders) => boolean): GuardHooks | null {
  const { caller: limits, anonymous, authenticated } = plan;
  if (limits.length === 0 && anonymous === null && authenticated === null) return null;
  return {
    stage: 'rate-limit',
    onRequest(ctx) {
      // Anonymous requests without credentials were counted at admission.
      const extra = ctx.principal !== null ? authenticated : anonymous !== null && hasCredentials(ctx.headers) ? anonymous : null;
      if (limits.length === 0 && extra === null) return null;
      return checkLimits(ctx, addressKey(ctx.clientAddress, ipv6Prefix), limits, extra);
    },
    onComplete:
      anonymous === null
        ? undefined
        : (ctx) => {
            // Credentials that authentication refused never reached this
            // guard's check: count them now, so a flood of bad tokens
            // spends the address's anonymous budget.
            const denial = ctx.denial;
            if (denial === null || ctx.principal !== null || !AUTHENTICATION_REASONS.has(denial.reason) || !hasCredentials(ctx.headers)) return;
            anonymous.counter.consume(anonymous.key(ctx, addressKey(ctx.clientAddress, ipv6Prefix)), anonymous.cost).catch(ignore);
          },
  };
}

function flowHooks(plan: OperationPlan, ipv6Prefix: number, warnBodyNotParsed: () => void): GuardHooks | null {
  const { bruteForce, quota } = plan;
  if (bruteForce === null && quota === null) return null;
  // Points taken before the handler, per request, so that the outcome can
  // keep or give them back: concurrent requests cannot all pass a check
  // made before any of them was counted.
  const attempts = new WeakMap<RequestContext, { readonly key: string; readonly consumed: number }>();
  const reservations = new WeakMap<RequestContext, string>();
  const checkBruteForce = bruteForce === null ? null : bruteForceCheck(bruteForce, attempts, warnBodyNotParsed);
  const checkQuota = quota === null ? null : quotaCheck(quota, ipv6Prefix, reservations);
  return {
    // Last: the body is parsed (validation) whatever the order of guards,
    // and a quota counts only what passed every other check.
    stage: 'ownership',
    onRequest(ctx) {
      if (checkBruteForce === null) return checkQuota!(ctx);
      const verdict = checkBruteForce(ctx);
      if (checkQuota === null) return verdict;
      if (verdict === null || verdict === undefined) return checkQuota(ctx);
      if (!(verdict instanceof Promise)) return verdict;
      return verdict.then((refused) => refused ?? checkQuota(ctx));
    },
    onComplete(ctx, { status }) {
      const success = status >= 200 && status < 300;
      if (bruteForce !== null) {
        const attempt = attempts.get(ctx);
        if (attempt !== undefined) {
          const failures = bruteForce.failures;
          // 401 is a failed login (bad_credentials); a success forgets the
          // failures; anything else (400, 5xx) was no guess and is given back.
          if (status === 401) {
            if (attempt.consumed >= bruteForce.maxFailures) failures.block(attempt.key, bruteForce.blockMs).catch(ignore);
          } else if (success) failures.reset(attempt.key).catch(ignore);
          else failures.refund!(attempt.key).catch(ignore);
        }
      }
      if (quota !== null && !success) {
        const key = reservations.get(ctx);
        if (key !== undefined) quota.limit.counter.refund!(key, quota.limit.cost).catch(ignore);
      }
    },
  };
}

function bruteForceCheck(plan: BruteForcePlan, attempts: WeakMap<RequestContext, { readonly key: string; readonly consumed: number }>, warnBodyNotParsed: () => void) {
  const { failures, policy, identifier } = plan;
  return (ctx: RequestContext): GuardVerdict | Promise<GuardVerdict> => {
    const key = readIdentifier(ctx, identifier);
    if (key === NOT_PARSED) {
      warnBodyNotParsed();
      return deny('internal_error', { privateDetail: 'brute-force protection found the request body unparsed: no schema validator is installed' });
    }
    // No identifier (the schema allows its absence): the per-address limit
    // is all that applies.
    if (key === null) return null;
    const counted = (result: CounterResult): GuardVerdict => {
      if (!result.allowed) return refuse(policy, result);
      attempts.set(ctx, { key, consumed: result.consumed });
      return null;
    };
    return countThen(failures, key, 1, counted);
  };
}

function quotaCheck(plan: QuotaPlan, ipv6Prefix: number, reservations: WeakMap<RequestContext, string>) {
  const { limit, countOn } = plan;
  return (ctx: RequestContext): GuardVerdict | Promise<GuardVerdict> => {
    const key = limit.key(ctx, addressKey(ctx.clientAddress, ipv6Prefix));
    const counted = (result: CounterResult): GuardVerdict => {
      if (!result.allowed) return refuse(limit.policy, result);
      if (countOn === 'success') reservations.set(ctx, key);
      return null;
    };
    return countThen(limit.counter, key, limit.cost, counted);
  };
}

function readIdentifier(ctx: RequestContext, read: JsonPointerReader): string | null | typeof NOT_PARSED {
  const body = ctx.body;
  if (body === undefined) return announcesBody(ctx.headers) ? NOT_PARSED : null;
  const value = read(body);
  if (typeof value === 'string') return value.length === 0 ? null : identifierKey(value);
  if (typeof value === 'number' && Number.isFinite(value)) return identifierKey(String(value));
  return null;
}

// RFC 9112 section 6.3: a body is announced by Content-Length (not 0) or Transfer-Encoding.
function announcesBody(headers: RequestHeaders): boolean {
  const length = headers['content-length'];
  if (length !== undefined) return length !== '0' && Number(length) !== 0;
  return headers['transfer-encoding'] !== undefined;
}

function isRedisClient(value: unknown): boolean {
  return value !== null && typeof value === 'object' && typeof (value as { defineCommand?: unknown }).defineCommand === 'function';
}

function ignore(): void {
  // Completion hooks must not throw; a store failure is reported by the
  // store's own events (store_outage).
}

function compileTrustProxy(trustProxy: 'none' | 'loopback' | readonly string[]): AddressResolver {
  if (Array.isArray(trustProxy)) {
    trustProxy.forEach((entry: string, index) => {
      try {
        createAddressResolver([entry]);
      } catch (error) {
        throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `createRateLimiter received invalid options:\n  - trustProxy[${index}]: must be an IP address, a CIDR (10.0.0.0/8) or one of loopback, linklocal, uniquelocal; received ${JSON.stringify(entry)}`, {
          path: `trustProxy[${index}]`,
          received: entry,
          fix: entry === 'none' ? 'Use trustProxy: "none" on its own (not inside a list).' : 'Write the proxy addresses as in TRUST_PROXY: "10.0.0.1", "10.0.0.0/8", "loopback".',
          cause: error,
        });
      }
    });
  }
  return createAddressResolver(trustProxy);
}

function normaliseSettings(options: RateLimiterOptions): LimiterSettings {
  const operations: Record<string, OperationSpec> = {};
  for (const operationId of Object.keys(options.operations ?? {})) {
    const entry = options.operations![operationId]!;
    const path = `operations.${operationId}`;
    const rules = entry.rateLimit === undefined ? [] : Array.isArray(entry.rateLimit) ? entry.rateLimit : [entry.rateLimit as RateLimitRuleOptions];
    operations[operationId] = {
      rules: rules.map((rule, index) => normaliseRule(rule, Array.isArray(entry.rateLimit) ? `${path}.rateLimit[${index}]` : `${path}.rateLimit`)),
      quota: entry.quota === undefined ? null : normaliseQuota(entry.quota, `${path}.quota`),
      bruteForce: entry.bruteForce === undefined ? null : normaliseBruteForce(entry.bruteForce, `${path}.bruteForce`),
      cost: entry.cost ?? 1,
    };
  }
  const anonymous = options.anonymous;
  const authenticated = options.authenticated;
  return deepFreeze({
    anonymous:
      anonymous === undefined
        ? null
        : { limit: anonymous.limit, windowMs: parseDuration(anonymous.window, 'anonymous.window'), credentialHeaders: (anonymous.credentialHeaders ?? ['authorization']).map((name) => name.toLowerCase()) },
    authenticated: authenticated === undefined ? null : { limit: authenticated.limit, windowMs: parseDuration(authenticated.window, 'authenticated.window') },
    rules: (options.rules ?? []).map((rule, index) => normaliseRule(rule, `rules[${index}]`)),
    operations,
  });
}

function normaliseRule(rule: RateLimitRuleOptions, path: string): RuleSpec {
  return {
    name: rule.name ?? null,
    by: rule.by ?? ['ip'],
    limit: rule.limit,
    windowMs: parseDuration(rule.window, `${path}.window`),
    cost: rule.cost ?? 1,
    blockMs: rule.block === undefined ? null : parseDuration(rule.block, `${path}.block`),
  };
}

function normaliseQuota(quota: QuotaOptions, path: string): QuotaSpec {
  return { by: quota.by ?? ['sub'], limit: quota.limit, windowMs: parseDuration(quota.window, `${path}.window`), countOn: quota.countOn ?? 'attempt' };
}

function normaliseBruteForce(bruteForce: BruteForceOptions, path: string): BruteForceSpec {
  const windowMs = parseDuration(bruteForce.window, `${path}.window`);
  return {
    identifier: bruteForce.identifier,
    maxFailures: bruteForce.maxFailures,
    windowMs,
    blockMs: bruteForce.block === undefined ? windowMs : parseDuration(bruteForce.block, `${path}.block`),
    perAddress: bruteForce.perAddress === undefined ? null : { limit: bruteForce.perAddress.limit, windowMs: parseDuration(bruteForce.perAddress.window, `${path}.perAddress.window`) },
  };
}
