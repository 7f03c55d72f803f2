import {
  PalisadeConfigError,
  createOptionsValidator,
  deny,
  type ClaimTest,
  type Guard,
  type GuardHooks,
  type GuardVerdict,
  type OperationPolicy,
  type Principal,
  type RequestContext,
} from '@palisade/core';
import { compileClaimTest, type CompiledClaimTest } from './internal/claims';

/**
 * Loads the object an operation acts on, by the id in the path. Returns
 * null when there is no such object. Called once per request that needs
 * an ownership check.
 */
export type ResourceLoader = (id: string, ctx: RequestContext) => unknown | Promise<unknown>;

/** Claim rules given in code, per operationId, for what scopes cannot say. */
export interface CodeClaimRules {
  readonly allOf?: readonly ClaimTest[];
  readonly anyOf?: readonly ClaimTest[];
}

export interface ScopeGuardOptions {
  /** Loaders by the `resource` name that `x-palisade-ownership` uses. */
  readonly loaders?: Readonly<Record<string, ResourceLoader>>;
  /** Claim rules per operationId, added to the document's `x-palisade-claims`. */
  readonly rules?: Readonly<Record<string, CodeClaimRules>>;
}

const claimTestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['claim', 'test'],
  properties: { claim: { type: 'string', minLength: 1 }, test: { enum: ['equals', 'contains', 'matches'] }, value: {} },
};
const assertOptions: (options: unknown) => asserts options is ScopeGuardOptions = createOptionsValidator<ScopeGuardOptions>('createScopeGuard', {
  type: 'object',
  additionalProperties: false,
  properties: {
    loaders: { type: 'object', additionalProperties: { jsType: 'function' } },
    rules: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: { allOf: { type: 'array', minItems: 1, items: claimTestSchema }, anyOf: { type: 'array', minItems: 1, items: claimTestSchema } },
      },
    },
  },
});

/**
 * Authorization from the document: the operation's OpenAPI security
 * requirements (OR of AND-ed scope sets), claim rules (`x-palisade-claims`
 * or code), and object ownership (`x-palisade-ownership`) through loaders
 * the service provides. Also refuses, at start-up, any operation with no
 * security requirement at all and no explicit `security: []`.
 *
 * A caller who does not own an object gets exactly the answer for a
 * missing one (404 `not_found_or_not_owner`), so ids cannot be probed.
 *
 * @example
 * ```ts
 * createScopeGuard({ loaders: { order: (id) => db.orders.find(id) } })
 * ```
 */
export function createScopeGuard(options: ScopeGuardOptions = {}): Guard {
  if (typeof options === 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'createScopeGuard received a function; pass an options object: createScopeGuard({ loaders: { ... } }).', { path: '(options)' });
  }
  assertOptions(options);
  const loaders = options.loaders ?? {};
  for (const operationId of Object.keys(options.rules ?? {})) {
    for (const test of [...(options.rules![operationId]!.allOf ?? []), ...(options.rules![operationId]!.anyOf ?? [])]) {
      if (test.test === 'matches') checkPattern(String(test.value), `rules.${operationId}`);
    }
  }
  let knownOperationIds: Set<string> | null = null;

  return {
    name: 'scope-guard',
    stage: 'authorization',
    compile(operation, { compiled }): GuardHooks | readonly GuardHooks[] | null {
      if (knownOperationIds === null) {
        knownOperationIds = new Set(compiled.operations.map((candidate) => candidate.operationId));
        for (const operationId of Object.keys(options.rules ?? {})) {
          if (!knownOperationIds.has(operationId)) {
            throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `createScopeGuard: rules.${operationId} names no operation of the document.`, { path: `rules.${operationId}`, fix: 'Use an operationId the document declares.' });
          }
        }
      }
      if (operation === null) return null;
      if (operation.securitySource === 'none') {
        throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `OpenAPI document at ${operation.pointer}: operation ${operation.operationId} has no security requirement. Nothing is public by accident: declare its scopes, or add "security: []" to make it public on purpose.`, {
          path: operation.pointer,
          fix: 'Add a security requirement, or security: [] for a public operation.',
        });
      }
      if (operation.isPublic) {
        // A public operation has no caller to check; a rule there would
        // look like protection while doing nothing.
        const rule = operation.extensions.ownership !== null ? 'x-palisade-ownership' : operation.extensions.claims !== null || options.rules?.[operation.operationId] ? 'x-palisade-claims' : null;
        if (rule !== null) {
          throw new PalisadeConfigError('ERR_PALISADE_INVALID_EXTENSION', `OpenAPI document at ${operation.pointer}: operation ${operation.operationId} is public (security: []) but has ${rule}, which needs an authenticated caller.`, {
            path: operation.pointer,
            fix: `Declare the operation's security requirement, or remove ${rule}.`,
          });
        }
        return null;
      }
      const checks = [scopeCheck(operation), claimsCheck(operation, options.rules?.[operation.operationId])].filter((check): check is (ctx: RequestContext) => GuardVerdict => check !== null);
      const ownership = ownershipCheck(operation, loaders);
      const hooks: GuardHooks[] = [];
      if (checks.length > 0) {
        hooks.push({
          onRequest(ctx) {
            for (let i = 0; i < checks.length; i++) {
              const verdict = checks[i]!(ctx);
              if (verdict) return verdict;
            }
            return null;
          },
        });
      }
      // The object is loaded only once the id and the request have been
      // validated: a loader never sees an id the document does not allow,
      // and an invalid request is refused the same way for every object.
      if (ownership !== null) hooks.push({ stage: 'ownership', onRequest: ownership });
      return hooks.length === 0 ? null : hooks;
    },
  };
}

function scopeCheck(operation: OperationPolicy): ((ctx: RequestContext) => GuardVerdict) | null {
  // OR of AND-ed scope sets, as OpenAPI defines `security`.
  const alternatives = operation.security.map((requirement) => requirement.flatMap((entry) => entry.scopes));
  if (alternatives.every((scopes) => scopes.length === 0)) return null;
  const named = alternatives.find((scopes) => scopes.length > 0)!.join(' ');
  return (ctx) => {
    const principal = ctx.principal;
    if (principal === null) return deny('token_missing');
    for (const scopes of alternatives) if (scopes.every((scope) => principal.scopes.has(scope))) return null;
    return deny('insufficient_scope', {
      challengeParams: { scope: named },
      privateDetail: `needs ${alternatives.map((scopes) => scopes.join(' + ') || '(none)').join(' | ')}; has ${[...principal.scopes].join(' ') || '(none)'}`,
    });
  };
}

function claimsCheck(operation: OperationPolicy, code: CodeClaimRules | undefined): ((ctx: RequestContext) => GuardVerdict) | null {
  const allOf = [...(operation.extensions.claims?.allOf ?? []), ...(code?.allOf ?? [])].map(compileClaimTest);
  const anyOf = [...(operation.extensions.claims?.anyOf ?? []), ...(code?.anyOf ?? [])].map(compileClaimTest);
  if (allOf.length === 0 && anyOf.length === 0) return null;
  const passes = (principal: Principal, tests: readonly CompiledClaimTest[], every: boolean) => (every ? tests.every((test) => test(principal)) : tests.length === 0 || tests.some((test) => test(principal)));
  return (ctx) => {
    const principal = ctx.principal;
    if (principal === null) return deny('token_missing');
    return passes(principal, allOf, true) && passes(principal, anyOf, false) ? null : deny('access_rule_failed', { privateDetail: `claim rules of ${operation.operationId} not met` });
  };
}

function ownershipCheck(operation: OperationPolicy, loaders: Readonly<Record<string, ResourceLoader>>): ((ctx: RequestContext) => GuardVerdict | Promise<GuardVerdict>) | null {
  const rule = operation.extensions.ownership;
  if (rule === null) return null;
  const loader = loaders[rule.resource];
  if (loader === undefined) {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `createScopeGuard: operation ${operation.operationId} checks ownership of "${rule.resource}" but no loader is registered for it.`, {
      path: `loaders.${rule.resource}`,
      fix: `Pass loaders: { ${rule.resource}: (id) => /* the object or null */ }.`,
    });
  }
  if (!operation.parameters.some((parameter) => parameter.in === 'path' && parameter.name === rule.param)) {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_EXTENSION', `OpenAPI document at ${operation.pointer}/x-palisade-ownership/param: "${rule.param}" is not a path parameter of ${operation.pathTemplate}.`, {
      path: `${operation.pointer}/x-palisade-ownership/param`,
      fix: 'Name the path parameter that holds the object id.',
    });
  }
  // The same denial object for "missing" and "not yours": identical body,
  // headers and code path, so a caller cannot tell them apart.
  const hidden = () => deny('not_found_or_not_owner');
  const ownerKey = rule.claim;
  return (ctx) => {
    const principal = ctx.principal;
    if (principal === null) return deny('token_missing');
    const id = ctx.params?.[rule.param];
    if (id === undefined) return hidden();
    const decide = (resource: unknown): GuardVerdict => {
      if (resource === null || resource === undefined || typeof resource !== 'object') return hidden();
      const hasOverride = rule.overrideScopes.some((scope) => principal.scopes.has(scope));
      const owner = (resource as Record<string, unknown>)[rule.ownerField];
      const caller = ownerKey === 'sub' ? principal.subject : principal.claims[ownerKey];
      if (!hasOverride && (caller === null || caller === undefined || owner !== caller)) {
        return deny('not_found_or_not_owner', { privateDetail: `${rule.resource} ${id} belongs to another caller` });
      }
      ctx.resource = resource;
      return null;
    };
    const loaded = loader(id, ctx);
    return loaded instanceof Promise ? loaded.then(decide) : decide(loaded);
  };
}

/**
 * For list operations: the value a query must filter on so the caller sees
 * only their own objects (`sub` by default).
 *
 * @throws TypeError when the request has no authenticated caller (a wiring mistake).
 */
export function ownerOf(ctx: RequestContext, claim = 'sub'): string {
  const principal = ctx.principal;
  const value = principal === null ? null : claim === 'sub' ? principal.subject : principal.claims[claim];
  if (typeof value !== 'string' || value === '') throw new TypeError(`ownerOf: the request has no caller with a "${claim}" claim; is the operation secured?`);
  return value;
}

function checkPattern(pattern: string, path: string): void {
  try {
    new RegExp(pattern, 'u');
  } catch (error) {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `createScopeGuard: ${path} has an invalid "matches" pattern ${JSON.stringify(pattern)}.`, { path, cause: error, fix: 'Write a valid JavaScript regular expression.' });
  }
}
