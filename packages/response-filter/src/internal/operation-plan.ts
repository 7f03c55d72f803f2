import { PalisadeConfigError, type OperationPolicy, type Principal, type ResponsePolicy } from '@palisade/core';
import type { ValueFilter } from './filter-runtime';
import type { SchemaFilterCompiler } from './schema-filter-compiler';

/** One declared media type of one response, compiled. */
export interface MediaPlan {
  readonly mediaType: string;
  /** JSON pointer of its schema, or null when it declares none. */
  readonly schemaPointer: string | null;
  /** Null when the media type declares no schema: nothing is declared, so nothing may be sent. */
  readonly filter: ValueFilter | null;
}

/** One declared response (`'200'`, `'2XX'`, `'default'`), compiled. */
export interface ResponsePlan {
  readonly status: string;
  readonly pointer: string;
  readonly byMediaType: ReadonlyMap<string, MediaPlan>;
  /** The media type a JSON body without an exact match uses, or null when none is JSON. */
  readonly json: MediaPlan | null;
  readonly mediaTypes: readonly string[];
}

/** What the filter needs at request time for one operation, decided at start-up. */
export interface OperationPlan {
  readonly operationId: string;
  readonly exact: ReadonlyMap<number, ResponsePlan>;
  /** Indexed by the status's first digit: `'2XX'` at 2. */
  readonly ranges: readonly (ResponsePlan | null)[];
  readonly fallback: ResponsePlan | null;
  /** The visibility scopes this operation's responses test, and their bits. */
  readonly scopes: readonly string[];
  readonly bits: readonly number[];
}

/** Compiles every declared response of `operation`; shared schemas compile once in `compiler`. */
export function compileOperationPlan(operation: OperationPolicy, compiler: SchemaFilterCompiler): OperationPlan {
  const exact = new Map<number, ResponsePlan>();
  const ranges: (ResponsePlan | null)[] = [null, null, null, null, null, null];
  let fallback: ResponsePlan | null = null;
  let bits = 0;
  for (const response of operation.responses) {
    const compiled = compileResponse(response, compiler, operation.operationId);
    bits |= compiled.bits;
    const status = response.status;
    if (/^[1-5]\d\d$/.test(status)) exact.set(Number(status), compiled.plan);
    else if (/^[1-5]xx$/i.test(status)) ranges[Number(status[0])] = compiled.plan;
    else if (status.toLowerCase() === 'default') fallback = compiled.plan;
  }
  const scopes = compiler.scopesOf(bits);
  return Object.freeze({ operationId: operation.operationId, exact, ranges: Object.freeze(ranges), fallback, scopes: scopes.scopes, bits: scopes.bits });
}

function compileResponse(response: ResponsePolicy, compiler: SchemaFilterCompiler, operationId: string): { plan: ResponsePlan; bits: number } {
  const byMediaType = new Map<string, MediaPlan>();
  let bits = 0;
  for (const media of response.content) {
    let filter: ValueFilter | null = null;
    if (media.schema !== null) {
      try {
        const root = compiler.compileRoot(media.schema);
        filter = root.filter;
        bits |= root.bits;
      } catch (error) {
        if (error instanceof PalisadeConfigError) {
          throw new PalisadeConfigError(error.code, `${error.message} (operation ${operationId}, response ${response.status}, ${media.mediaType})`, { path: error.path, received: error.received, fix: error.fix ?? undefined, cause: error.cause });
        }
        throw error;
      }
    }
    // The first declaration of a media type wins, as parameters (`; charset`) are stripped.
    if (!byMediaType.has(media.mediaType)) byMediaType.set(media.mediaType, Object.freeze({ mediaType: media.mediaType, schemaPointer: media.schema?.pointer ?? null, filter }));
  }
  const plan: ResponsePlan = Object.freeze({
    status: response.status,
    pointer: response.pointer,
    byMediaType,
    json: pickJsonMedia(byMediaType),
    mediaTypes: Object.freeze([...byMediaType.keys()]),
  });
  return { plan, bits };
}

// Adapters label every JSON body `application/json`; a response declared as
// `application/vnd.shop+json` or `application/problem+json` still describes it.
function pickJsonMedia(byMediaType: ReadonlyMap<string, MediaPlan>): MediaPlan | null {
  const types = [...byMediaType.keys()];
  const chosen = types.find((type) => type === 'application/json') ?? types.find((type) => type.endsWith('+json')) ?? types.find((type) => type === 'application/*') ?? types.find((type) => type === '*/*');
  return chosen === undefined ? null : byMediaType.get(chosen)!;
}

/** `application/json` and any `+json` suffix (RFC 6839). */
export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

/** The response declared for `status`: the exact code beats its range (`2XX`), which beats `default`. */
export function selectResponse(plan: OperationPlan, status: number): ResponsePlan | null {
  return plan.exact.get(status) ?? plan.ranges[Math.floor(status / 100)] ?? plan.fallback;
}

/** The caller's visibility bits: one per scope this operation's responses test, set when the caller holds it. */
export function maskFor(plan: OperationPlan, principal: Principal | null): number {
  const scopes = plan.scopes;
  if (scopes.length === 0 || principal === null) return 0;
  const held = principal.scopes;
  let mask = 0;
  for (let i = 0; i < scopes.length; i++) if (held.has(scopes[i]!)) mask |= plan.bits[i]!;
  return mask;
}
