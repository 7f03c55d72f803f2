import { performance } from 'node:perf_hooks';
import { compileDocument, type CompiledDocument } from '../compile/compile-document';
import type { OperationPolicy } from '../compile/operation-policy';
import { Denial, deny, isDenial } from '../denial';
import { PalisadeConfigError, describeValue } from '../errors';
import { CorsPolicy, isExactOrigin, type CorsOptions } from '../http/cors';
import { chooseRequestId } from '../http/request-id';
import { computeSecurityHeaders, type HeaderInstruction, type SecurityHeadersOptions } from '../http/security-headers';
import { RouteMatcher } from '../match/route-matcher';
import { loadDocument } from '../openapi/load-document';
import { createOptionsValidator, deepFreeze } from '../options';
import { renderProblem, type ProblemRenderOptions } from '../problem';
import { buildStartupReport, type FrameworkRoute, type StartupReport } from './startup-report';
import { GUARD_STAGES, type CompletedRequest, type Guard, type GuardHooks, type GuardVerdict, type OutgoingResponse } from './guard';
import type { Reply } from './reply';
import { RequestContext } from './request-context';
import type { RequestView } from './request-view';

export interface PalisadeOptions {
  /** The OpenAPI 3.0/3.1 document: a path to YAML/JSON, or the object. */
  readonly document: string | object;
  /** Directory relative document paths and relative-file `$ref`s resolve from. Default `process.cwd()`. */
  readonly baseDir?: string;
  /** Guards to plug into the chain (authentication, limits, ...), ordered by their stage. */
  readonly guards?: readonly Guard[];
  /** CORS for an allow-list of exact origins. Omitted: no CORS headers, browsers keep cross-origin scripts out. */
  readonly cors?: CorsOptions;
  /** Strict-Transport-Security settings of the secure-headers profile. */
  readonly securityHeaders?: SecurityHeadersOptions;
  /** Prefix of every problem `type`. Default `urn:palisade:problem:`. */
  readonly problemTypeBase?: string;
  /** `realm` of Bearer challenges. Default none. */
  readonly realm?: string;
}

const stringList = { type: 'array', items: { type: 'string', minLength: 1 } };
const assertPalisadeOptions: (options: unknown) => asserts options is PalisadeOptions = createOptionsValidator<PalisadeOptions>('createPalisade', {
  type: 'object',
  additionalProperties: false,
  required: ['document'],
  properties: {
    document: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'object', jsType: 'object' }] },
    baseDir: { type: 'string', minLength: 1 },
    // Items are checked by checkGuard, which recognises a factory passed
    // in place of its result and says how to call it.
    guards: { type: 'array' },
    cors: {
      type: 'object',
      additionalProperties: false,
      required: ['origins'],
      properties: {
        origins: stringList,
        allowHeaders: stringList,
        exposeHeaders: stringList,
        maxAge: { type: 'integer', minimum: 0, maximum: 86400 },
        credentials: { type: 'boolean' },
      },
    },
    securityHeaders: {
      type: 'object',
      additionalProperties: false,
      properties: {
        hstsMaxAge: { type: 'integer', minimum: 0 },
        hstsIncludeSubDomains: { type: 'boolean' },
        hstsPreload: { type: 'boolean' },
      },
    },
    problemTypeBase: { type: 'string', minLength: 1 },
    realm: { type: 'string', minLength: 1, pattern: '^[^"\\\\\\u0000-\\u001f]*$' },
  },
});

interface Chain {
  readonly onRequest: readonly NonNullable<GuardHooks['onRequest']>[] | null;
  readonly onResponse: readonly NonNullable<GuardHooks['onResponse']>[] | null;
  readonly onComplete: readonly NonNullable<GuardHooks['onComplete']>[] | null;
  readonly guardNames: readonly string[];
}

/**
 * Creates the policy engine: loads and compiles the OpenAPI document,
 * builds the router and every guard's per-operation hooks, once.
 *
 * @example
 * ```ts
 * const palisade = await createPalisade({ document: './openapi.yaml', cors: { origins: ['https://shop.example'] } });
 * ```
 * @throws PalisadeConfigError for invalid options or an invalid document.
 */
export async function createPalisade(options: PalisadeOptions): Promise<Palisade> {
  if (typeof options === 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'createPalisade received a function; pass an options object: createPalisade({ document: "./openapi.yaml" }).', { path: '(options)' });
  }
  assertPalisadeOptions(options);
  const origins = options.cors?.origins ?? [];
  origins.forEach((origin, index) => {
    if (!isExactOrigin(origin)) {
      throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `createPalisade received invalid options:\n  - cors.origins[${index}]: must be an exact origin such as "https://shop.example" (scheme, host, optional port; no path, no trailing slash, no wildcard); received ${describeValue(origin)}`, {
        path: `cors.origins[${index}]`,
        received: origin,
        fix: origin === '*' ? 'Palisade does not answer every origin; list the origins that may call this API.' : 'Write the origin as the browser sends it, e.g. "https://shop.example".',
      });
    }
  });
  const guards = options.guards ?? [];
  guards.forEach((guard, index) => checkGuard(guard, index));
  const loaded = await loadDocument(options.document, options.baseDir);
  const compiled = compileDocument(loaded);
  for (const guard of guards) await guard.init?.({ compiled });
  return new Palisade(compiled, options, guards);
}

function checkGuard(guard: Guard, index: number): void {
  const valid = guard !== null && typeof guard === 'object' && typeof guard.name === 'string' && typeof guard.compile === 'function' && GUARD_STAGES.includes(guard.stage);
  if (!valid) {
    const hint = typeof guard === 'function' ? ` It looks like a guard factory was passed instead of its result: call it, e.g. guards: [${(guard as { name?: string }).name || 'createGuard'}({ ... })].` : '';
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_GUARD', `createPalisade: guards[${index}] is not a guard (an object with name, stage and compile).${hint}`, {
      path: `guards[${index}]`,
      received: guard,
      fix: `A guard has { name, stage: one of ${GUARD_STAGES.join(', ')}, compile(operation) }.`,
    });
  }
}

/** The compiled engine an adapter drives. Built by `createPalisade`. */
export class Palisade {
  readonly compiled: CompiledDocument;
  readonly #matcher: RouteMatcher;
  readonly #guards: readonly Guard[];
  readonly #chains = new Map<OperationPolicy, Chain>();
  readonly #unmatchedChain: Chain;
  readonly #baseHeaders: readonly HeaderInstruction[];
  readonly #cors: CorsPolicy | null;
  readonly #render: ProblemRenderOptions;

  /** @internal Use `createPalisade`. */
  constructor(compiled: CompiledDocument, options: PalisadeOptions, guards: readonly Guard[]) {
    this.compiled = compiled;
    this.#matcher = new RouteMatcher(compiled.operations);
    this.#guards = guards;
    for (const operation of compiled.operations) this.#chains.set(operation, this.#compileChain(operation));
    this.#unmatchedChain = this.#compileChain(null);
    this.#baseHeaders = computeSecurityHeaders(options.securityHeaders);
    this.#cors = options.cors ? new CorsPolicy(options.cors) : null;
    this.#render = deepFreeze({ typeBase: options.problemTypeBase ?? 'urn:palisade:problem:', realm: options.realm ?? null });
  }

  #compileChain(operation: OperationPolicy | null): Chain {
    const requestHooks: { stage: number; hook: NonNullable<GuardHooks['onRequest']> }[] = [];
    const onResponse: NonNullable<GuardHooks['onResponse']>[] = [];
    const onComplete: NonNullable<GuardHooks['onComplete']>[] = [];
    const guardNames: string[] = [];
    for (const guard of this.#guards) {
      const compiled = guard.compile(operation, { compiled: this.compiled });
      if (compiled === null) continue;
      guardNames.push(guard.name);
      for (const hooks of Array.isArray(compiled) ? (compiled as readonly GuardHooks[]) : [compiled as GuardHooks]) {
        if (hooks.onRequest) requestHooks.push({ stage: GUARD_STAGES.indexOf(hooks.stage ?? guard.stage), hook: hooks.onRequest });
        if (hooks.onResponse) onResponse.push(hooks.onResponse);
        if (hooks.onComplete) onComplete.push(hooks.onComplete);
      }
    }
    // Stable sort: stage first, then the order the guards were given.
    requestHooks.sort((a, b) => a.stage - b.stage);
    const onRequest = requestHooks.map((entry) => entry.hook);
    if (operation !== null && !operation.isPublic) {
      // Deny by default: right after authentication, before anything that
      // would act on behalf of the caller.
      const firstAfterAuthentication = requestHooks.findIndex((entry) => entry.stage > AUTHENTICATION_STAGE);
      onRequest.splice(firstAfterAuthentication < 0 ? onRequest.length : firstAfterAuthentication, 0, requireAuthenticated);
    }
    return Object.freeze({
      onRequest: onRequest.length ? onRequest : null,
      onResponse: onResponse.length ? onResponse : null,
      onComplete: onComplete.length ? onComplete : null,
      guardNames,
    });
  }

  /** Every compiled operation policy. */
  get operations(): readonly OperationPolicy[] {
    return this.compiled.operations;
  }

  /** Resolves a method and raw URL to an operation, without running guards. */
  match(method: string, rawUrl: string) {
    return this.#matcher.match(method, rawUrl);
  }

  /** Starts a request: picks its id, matches it, notes its CORS origin. Never throws. */
  startRequest(view: RequestView): RequestContext {
    const match = this.#matcher.match(view.method, view.url);
    const corsOrigin = this.#cors === null ? null : this.#cors.allowedOrigin(view.headers.origin);
    return new RequestContext(view, chooseRequestId(view.headers['x-request-id']), match, corsOrigin, performance.now());
  }

  /**
   * Calls `set(name, value)` for every header every response must carry
   * (secure headers, `X-Request-Id`, CORS), and `set(name, null)` for those
   * to remove (`X-Powered-By`).
   */
  forEachResponseHeader(ctx: RequestContext, set: (name: string, value: string | null) => void): void {
    const base = this.#baseHeaders;
    for (let i = 0; i < base.length; i++) set(base[i]![0], base[i]![1]);
    set('x-request-id', ctx.requestId);
    if (this.#cors !== null) {
      set('vary', 'Origin');
      if (ctx.corsOrigin !== null) {
        set('access-control-allow-origin', ctx.corsOrigin);
        const extra = this.#cors.simpleHeaders;
        for (let i = 0; i < extra.length; i++) set(extra[i]![0], extra[i]![1]);
      }
    }
  }

  /**
   * Runs the request checks: routing, CORS preflight, then every guard's
   * `onRequest` in stage order. Returns a reply to send instead of calling
   * the handler, or null to go on. Synchronous unless a guard is async.
   * Never rejects: a guard that throws fails closed as a 500.
   */
  checkRequest(ctx: RequestContext): Reply | null | Promise<Reply | null> {
    const match = ctx.match;
    if (this.#cors !== null && isPreflight(ctx) && (match.kind === 'operation' || match.kind === 'method_not_allowed')) {
      if (ctx.corsOrigin === null) return this.#refuse(ctx, deny('cors_origin_denied', { privateDetail: 'preflight from an origin not in cors.origins' }));
      const headers: Record<string, string> = { 'access-control-allow-origin': ctx.corsOrigin, 'access-control-allow-methods': match.allow! };
      for (const [name, value] of this.#cors.preflightHeaders) headers[name] = value!;
      return { status: 204, headers, body: null };
    }
    const chain = match.operation === null ? this.#unmatchedChain : this.#chains.get(match.operation)!;
    if (chain.onRequest !== null) {
      const hooks = chain.onRequest;
      for (let i = 0; i < hooks.length; i++) {
        let verdict: GuardVerdict | Promise<GuardVerdict>;
        try {
          verdict = hooks[i]!(ctx);
        } catch (error) {
          return this.#refuse(ctx, internalError(error));
        }
        if (isPending(verdict)) return this.#continueAsync(ctx, verdict, hooks, i + 1);
        if (verdict) return this.#refuse(ctx, verdict as Denial);
      }
    }
    return this.#routingVerdict(ctx);
  }

  async #continueAsync(ctx: RequestContext, pending: Promise<GuardVerdict>, hooks: readonly NonNullable<GuardHooks['onRequest']>[], next: number): Promise<Reply | null> {
    try {
      let verdict = await pending;
      if (verdict) return this.#refuse(ctx, verdict);
      for (let i = next; i < hooks.length; i++) {
        const result = hooks[i]!(ctx);
        // Awaiting a plain value still costs a turn of the microtask queue;
        // most hooks after the first asynchronous one answer synchronously.
        verdict = isPending(result) ? await result : result;
        if (verdict) return this.#refuse(ctx, verdict);
      }
    } catch (error) {
      return this.#refuse(ctx, isDenial(error) ? error : internalError(error));
    }
    return this.#routingVerdict(ctx);
  }

  #routingVerdict(ctx: RequestContext): Reply | null {
    switch (ctx.match.kind) {
      case 'operation':
        return null;
      case 'method_not_allowed':
        return this.#refuse(ctx, deny('method_not_allowed', { headers: { allow: ctx.match.allow! }, privateDetail: `${ctx.method} is not declared for ${ctx.match.pathTemplate}` }));
      case 'malformed':
        return this.#refuse(ctx, deny('path_malformed', { detail: 'The request path is not valid percent-encoded UTF-8.' }));
      default:
        return this.#refuse(ctx, deny('undeclared_route'));
    }
  }

  #refuse(ctx: RequestContext, denial: Denial): Reply {
    ctx.denial = denial;
    if (denial.reason === 'internal_error' && ctx.error === null) ctx.error = denial.cause ?? null;
    const problem = renderProblem(denial, this.#render);
    return { status: problem.status, headers: problem.headers, body: ctx.method === 'HEAD' ? null : problem.body };
  }

  /**
   * Runs response hooks (filtering) on a JSON response. Returns a reply to
   * send instead when a hook refuses the response, else null (the hooks may
   * have rewritten `response.body`).
   */
  filterResponse(ctx: RequestContext, response: OutgoingResponse): Reply | null {
    const chain = this.#chainOf(ctx);
    const hooks = chain.onResponse;
    if (hooks === null) return null;
    for (let i = 0; i < hooks.length; i++) {
      let verdict: Denial | null | undefined;
      try {
        verdict = hooks[i]!(ctx, response);
      } catch (error) {
        verdict = internalError(error);
      }
      if (verdict) return this.#refuse(ctx, verdict);
    }
    return null;
  }

  /**
   * The reply for an error a handler threw: a thrown `Denial` renders as
   * its problem; anything else becomes a 500 whose details stay in the
   * audit trail.
   */
  replyForError(ctx: RequestContext, error: unknown): Reply {
    return this.#refuse(ctx, isDenial(error) ? error : internalError(error));
  }

  /** The reply for a denial decided outside the chain (adapters, handlers). */
  replyForDenial(ctx: RequestContext, denial: Denial): Reply {
    return this.#refuse(ctx, denial);
  }

  /**
   * Whether `finishRequest` has anything to do for this request (a guard
   * with a completion hook, such as the audit trail, is on its chain), so
   * adapters can skip watching for the end of responses nobody records.
   */
  needsFinish(ctx: RequestContext): boolean {
    return this.#chainOf(ctx).onComplete !== null;
  }

  /**
   * Runs completion hooks (audit) once the response is written, or the
   * client left. Runs once per request, however often it is called: an
   * adapter may call it from both a "finished" and a "closed" event.
   * Never throws.
   */
  finishRequest(ctx: RequestContext, status: number): void {
    if (ctx.finished) return;
    ctx.finished = true;
    const hooks = this.#chainOf(ctx).onComplete;
    if (hooks === null) return;
    const completed: CompletedRequest = {
      status,
      outcome: ctx.denial === null && status < 500 ? 'allow' : 'deny',
      durationMs: Math.round((performance.now() - ctx.startedAt) * 1000) / 1000,
    };
    for (let i = 0; i < hooks.length; i++) {
      try {
        hooks[i]!(ctx, completed);
      } catch {
        // A completion hook must not break the response already sent; the
        // audit guard reports its own failures.
      }
    }
  }

  #chainOf(ctx: RequestContext): Chain {
    return ctx.operation === null ? this.#unmatchedChain : this.#chains.get(ctx.operation)!;
  }

  /**
   * The start-up report: compiled operations with their guards, and the
   * framework routes (given by the adapter) that the document does not
   * declare, which Palisade keeps unreachable.
   */
  report(frameworkRoutes: readonly FrameworkRoute[] = []): StartupReport {
    return buildStartupReport(this.compiled.operations, (operation) => this.#chains.get(operation)!.guardNames, frameworkRoutes);
  }

  /** Closes every guard (timers, connections). */
  async close(): Promise<void> {
    for (const guard of this.#guards) await guard.close?.();
  }
}

const AUTHENTICATION_STAGE = GUARD_STAGES.indexOf('authentication');

// Deny by default: an operation that declares security never reaches the
// next stage without a principal, even when no authentication guard is
// installed (or one let the request through without setting one).
function requireAuthenticated(ctx: RequestContext): GuardVerdict {
  return ctx.principal === null ? deny('token_missing', { privateDetail: 'operation requires authentication and no guard established a principal' }) : null;
}

// A hook's answer still to come: a promise or any thenable.
function isPending(verdict: GuardVerdict | Promise<GuardVerdict>): verdict is Promise<GuardVerdict> {
  return verdict !== null && verdict !== undefined && typeof (verdict as Promise<GuardVerdict>).then === 'function';
}

function isPreflight(ctx: RequestContext): boolean {
  return ctx.method === 'OPTIONS' && ctx.headers.origin !== undefined && ctx.headers['access-control-request-method'] !== undefined;
}

function internalError(cause: unknown): Denial {
  return new Denial('internal_error', { cause, privateDetail: cause instanceof Error ? `${cause.name}: ${cause.message}` : 'non-error thrown' });
}
