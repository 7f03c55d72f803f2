/**
 * @palisade/rate-limit: rate limits, business-flow quotas and brute-force
 * protection for Palisade, declared in the OpenAPI document
 * (`x-palisade-rate-limit`, `x-palisade-quota`, `x-palisade-brute-force`)
 * or in code, counted with rate-limiter-flexible in memory or in Redis
 * (shared by every instance, with an in-memory insurance limiter during
 * outages), per client address (trusted proxies, IPv6 per /64), subject,
 * client or operation.
 */
export {
  createRateLimiter,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitRuleOptions,
  type QuotaOptions,
  type BruteForceOptions,
  type OperationLimitOptions,
  type CallerLimitOptions,
  type AnonymousLimitOptions,
  type Duration,
  type LimitKey,
} from './rate-limiter';
export { createRateLimitStore, type RateLimitStoreOptions, type RedisClientLike } from './internal/rate-limit-store';
export { normalizeAddress } from './internal/client-address';
export type { RateLimitWarning } from './internal/warnings';
export type { Counter, CounterOptions, CounterResult, RateLimitStore, RateLimitStoreEvent } from './store';
