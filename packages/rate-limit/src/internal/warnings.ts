/** Something that weakens protection without stopping start-up, said once. */
export interface RateLimitWarning {
  /**
   * `memory_store_in_production`: counters live in process memory under
   * `NODE_ENV=production`. `body_not_parsed`: a brute-force check found a
   * request body nobody had parsed (no schema validator is installed), and
   * refused the request.
   */
  readonly code: 'memory_store_in_production' | 'body_not_parsed';
  readonly message: string;
}

const EMITTED_CODES: Record<RateLimitWarning['code'], string> = {
  memory_store_in_production: 'PALISADE_RATE_LIMIT_MEMORY_STORE',
  body_not_parsed: 'PALISADE_RATE_LIMIT_BODY_NOT_PARSED',
};

/** Hands a warning to `onWarning`, or to `process.emitWarning` when none was given. */
export function reportWarning(onWarning: ((warning: RateLimitWarning) => void) | null, warning: RateLimitWarning): void {
  const frozen = Object.freeze({ ...warning });
  if (onWarning === null) process.emitWarning(frozen.message, { code: EMITTED_CODES[frozen.code] });
  else onWarning(frozen);
}
