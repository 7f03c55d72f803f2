import type { CompiledDocument } from '../compile/compile-document';
import type { OperationPolicy } from '../compile/operation-policy';
import type { Denial } from '../denial';
import type { RequestContext } from './request-context';

/**
 * Where a guard's request check runs. The chain is ordered by stage, then
 * by the order guards were given:
 * `admission` (before authentication: address limits) -> `authentication`
 * -> `rate-limit` -> `authorization` (scopes, claims) -> `validation`
 * (parameters, body) -> `ownership` (object-level checks, which load the
 * object by an id that has been validated by then) -> (handler).
 */
export type GuardStage = 'admission' | 'authentication' | 'rate-limit' | 'authorization' | 'validation' | 'ownership';

export const GUARD_STAGES: readonly GuardStage[] = ['admission', 'authentication', 'rate-limit', 'authorization', 'validation', 'ownership'];

/** `null`/`undefined`: continue with the next guard; a `Denial`: stop here. */
export type GuardVerdict = Denial | null | undefined;

/** A JSON response on its way out, which response hooks may rewrite. */
export interface OutgoingResponse {
  status: number;
  /** Lower-case media type without parameters (`application/json`). */
  contentType: string;
  body: unknown;
}

/** What a finished request looked like, for audit hooks. */
export interface CompletedRequest {
  readonly status: number;
  readonly outcome: 'allow' | 'deny';
  readonly durationMs: number;
}

/** One guard's compiled hooks for one operation. Each hook is optional. */
export interface GuardHooks {
  /**
   * Runs `onRequest` at this stage instead of the guard's own. A guard that
   * checks at two points of the chain returns two hook objects.
   */
  readonly stage?: GuardStage;
  /** Checks the request before the handler. May be async. */
  readonly onRequest?: (ctx: RequestContext) => GuardVerdict | Promise<GuardVerdict>;
  /** Inspects or rewrites a JSON response body; a `Denial` replaces the response with a problem. */
  readonly onResponse?: (ctx: RequestContext, response: OutgoingResponse) => Denial | null | undefined;
  /** Runs after the response is written (audit, counters). Must not throw. */
  readonly onComplete?: (ctx: RequestContext, completed: CompletedRequest) => void;
}

/** Read-only facts about the engine a guard may use while compiling. */
export interface GuardCompileContext {
  readonly compiled: CompiledDocument;
}

/**
 * A guard plugs into core's chain. Core calls `compile` once per operation
 * at start-up (and once with `null` for requests that match no operation),
 * so that a request only walks prebuilt hook arrays.
 */
export interface Guard {
  readonly name: string;
  readonly stage: GuardStage;
  /** Optional async set-up before compiling (key discovery, connections). */
  readonly init?: (context: GuardCompileContext) => Promise<void> | void;
  /** Returns this guard's hooks for the operation (one object, or one per stage), or null when it has nothing to do there. */
  readonly compile: (operation: OperationPolicy | null, context: GuardCompileContext) => GuardHooks | readonly GuardHooks[] | null;
  /** Releases resources (timers, connections) on shutdown. */
  readonly close?: () => Promise<void> | void;
}
