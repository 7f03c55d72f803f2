import {
  PalisadeConfigError,
  createOptionsValidator,
  deny,
  type FieldError,
  type Guard,
  type GuardHooks,
  type GuardVerdict,
  type OperationPolicy,
  type RequestContext,
  type RequestHeaders,
} from '@palisade/core';
import { readBodyPointer, compileBodyPointer, type BodyPointer } from './internal/body-pointer';
import { checkUrl } from './internal/check-url';
import { URL_POLICY_OPTION_PROPERTIES, compileSettings, type PolicySettings } from './internal/policy-settings';
import type { UrlCheckCode } from './ssrf-error';
import type { UrlCheckResult, UrlPolicyOptions } from './url-policy';

/**
 * Options of `createSsrfGuard`: those of `createUrlPolicy` except
 * `schemes`, which each operation's `x-palisade-ssrf.schemes` sets.
 */
export type SsrfGuardOptions = Omit<UrlPolicyOptions, 'schemes'>;

const assertOptions: (options: unknown) => asserts options is SsrfGuardOptions = createOptionsValidator<SsrfGuardOptions>('createSsrfGuard', {
  type: 'object',
  additionalProperties: false,
  properties: URL_POLICY_OPTION_PROPERTIES,
});

const PUBLIC_DETAIL = 'The URL is not allowed.';

// What the client may learn. Problems with how the URL is written are
// named, so an honest client can fix them. Everything that depends on DNS
// or on where an address lies collapses into one message: telling
// "resolves to a private address" from "does not resolve" would let a
// caller map the service's internal DNS.
function publicMessage(code: UrlCheckCode, schemes: readonly string[]): string {
  switch (code) {
    case 'ERR_PALISADE_SSRF_INVALID_URL':
      return 'must be an absolute URL written as scheme://host/path';
    case 'ERR_PALISADE_SSRF_SCHEME_NOT_ALLOWED':
      return `must use ${schemes.join(' or ')}`;
    case 'ERR_PALISADE_SSRF_USERINFO':
      return 'must not contain user information';
    case 'ERR_PALISADE_SSRF_PORT_NOT_ALLOWED':
      return 'must not use this port';
    case 'ERR_PALISADE_SSRF_HOST_NOT_ALLOWED':
    case 'ERR_PALISADE_SSRF_ADDRESS_NOT_ALLOWED':
    case 'ERR_PALISADE_SSRF_UNRESOLVABLE':
    case 'ERR_PALISADE_SSRF_TOO_MANY_ADDRESSES':
      return 'must point to a publicly reachable host';
  }
}

/**
 * The guard for `x-palisade-ssrf`: on every operation that declares it,
 * each request-body field it names (`fields`, JSON pointers) must hold a URL
 * that `createUrlPolicy` accepts with the operation's `schemes`. Otherwise
 * the request is refused with 400 `ssrf_blocked`; the audit line gets the
 * field, the code and the reason.
 *
 * It reads the body the schema validator parsed (`ctx.body`), so it runs in
 * the `validation` stage and must come after `createSchemaValidator()` in
 * `guards`. If it finds no parsed body although one was sent, it fails
 * closed with a 500 saying so. A field that is absent or `null` is left to
 * the schema; any other non-string value is refused.
 *
 * Registration is not delivery: DNS can change between the two. Fetch the
 * URL later with `createSafeFetch`, which checks it again.
 *
 * @example
 * ```ts
 * guards: [authentication, authorization, createSchemaValidator(), createSsrfGuard()]
 * ```
 * @throws PalisadeConfigError for invalid options, or (at start-up) an
 *   operation whose `x-palisade-ssrf` names body fields but that takes no body.
 */
export function createSsrfGuard(options: SsrfGuardOptions = {}): Guard {
  if (typeof options === 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'createSsrfGuard received a function; pass an options object: createSsrfGuard({ ... }).', { path: '(options)' });
  }
  if (options !== null && typeof options === 'object' && 'schemes' in options) {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', 'createSsrfGuard received invalid options:\n  - schemes: is set per operation by x-palisade-ssrf.schemes in the OpenAPI document. Remove it here.', {
      path: 'schemes',
      received: (options as { schemes: unknown }).schemes,
      fix: 'Remove schemes; write x-palisade-ssrf: { fields: [...], schemes: [https] } on the operation.',
    });
  }
  assertOptions(options);
  const settings = compileSettings(options, 'createSsrfGuard');
  return {
    name: 'ssrf',
    stage: 'validation',
    compile(operation): GuardHooks | null {
      const rule = operation?.extensions.ssrf ?? null;
      if (operation === null || rule === null) return null;
      if (operation.requestBody === null) {
        const path = `${operation.pointer}/x-palisade-ssrf/fields`;
        throw new PalisadeConfigError('ERR_PALISADE_INVALID_EXTENSION', `OpenAPI document at ${path}: operation ${operation.operationId} declares no requestBody, so x-palisade-ssrf has no body field to check.`, {
          path,
          fix: 'Declare the requestBody that carries the URL, or remove x-palisade-ssrf.',
        });
      }
      return { onRequest: compileCheck(operation, rule.fields.map(compileBodyPointer), rule.schemes, settings) };
    },
  };
}

function compileCheck(operation: OperationPolicy, fields: readonly BodyPointer[], schemes: readonly string[], settings: PolicySettings): (ctx: RequestContext) => GuardVerdict | Promise<GuardVerdict> {
  const bodyRequired = operation.requestBody?.required === true;
  return (ctx) => {
    const body = ctx.body;
    if (body === undefined) {
      // The schema validator refuses a missing required body and parses any
      // body sent, so either one here means it has not run before us.
      // Without the body there is nothing to check against: fail closed.
      if (bodyRequired || announcesBody(ctx.headers)) {
        return deny('internal_error', {
          privateDetail: `createSsrfGuard found no parsed request body on ${operation.operationId}; put createSchemaValidator() before createSsrfGuard() in guards, so the body is parsed before its URLs are checked`,
        });
      }
      return null;
    }
    const pending: { field: BodyPointer; result: Promise<UrlCheckResult> }[] = [];
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      const value = readBodyPointer(body, field);
      if (value === undefined || value === null) continue;
      pending.push({ field, result: checkUrl(value, schemes, settings) });
    }
    if (pending.length === 0) return null;
    return Promise.all(pending.map((entry) => entry.result)).then((results) => {
      const errors: FieldError[] = [];
      const notes: string[] = [];
      for (let i = 0; i < results.length; i++) {
        const result = results[i]!;
        if (result.ok) continue;
        const pointer = pending[i]!.field.pointer;
        errors.push({ pointer: `/body${pointer}`, message: publicMessage(result.code, schemes) });
        notes.push(`${pointer}: ${result.code}: ${result.reason}`);
      }
      return errors.length === 0 ? null : deny('ssrf_blocked', { detail: PUBLIC_DETAIL, errors, privateDetail: notes.join('; ') });
    });
  };
}

/** True when the headers announce a body (RFC 9112 section 6.3). */
function announcesBody(headers: RequestHeaders): boolean {
  const length = headers['content-length'];
  if (length !== undefined) return length !== '0' && Number(length) !== 0;
  return headers['transfer-encoding'] !== undefined;
}
