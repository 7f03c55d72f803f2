import type { CompletedRequest, OperationPolicy, RequestContext } from '@palisade/core';
import { describeError, scrubText, scrubTokens, stripUnsafeCharacters, truncate } from './redact';

/** The two halves of a request line around `prevHash` (see `TrailWriter.appendParts`). */
export interface RequestLineParts {
  readonly before: string;
  readonly after: string;
}

export interface RequestLineSettings {
  readonly maxPathLength: number;
  readonly maxDetailLength: number;
}

/** Builds one operation's request lines; everything constant about the operation is serialised once. */
export type RequestLineBuilder = (ctx: RequestContext, completed: CompletedRequest) => RequestLineParts;

const MAX_ID_LENGTH = 256;
// Paths are scanned for tokens before they are cut; this bounds the scan.
const MAX_SCANNED_PATH = 4096;

/**
 * Compiles the request-line builder of `operation` (null: requests that
 * matched none). The line is built from an allow-list of fields; headers,
 * query strings and bodies are never read, so whatever a request carries
 * (Authorization, Cookie, `?access_token=`, a password field) cannot reach
 * it. Keys are written in sorted order, which makes the text canonical as
 * built.
 */
export function compileRequestLine(operation: OperationPolicy | null, settings: RequestLineSettings): RequestLineBuilder {
  const action = operation?.extensions.audit?.event ?? null;
  const actionMember = action === null ? '' : `"action":${JSON.stringify(action)},`;
  const operationIdJson = operation === null ? 'null' : JSON.stringify(stripUnsafeCharacters(operation.operationId));
  const { maxPathLength, maxDetailLength } = settings;

  return function buildRequestLine(ctx, completed) {
    const principal = ctx.principal;
    const denial = ctx.denial;
    let reason: string | null = denial === null ? null : denial.reason;
    // Every deny has a reason: a 5xx the handler sent itself counts as an internal error.
    if (reason === null && completed.outcome === 'deny') reason = 'internal_error';
    const detail = denial === null || denial.privateDetail === null ? null : scrubText(denial.privateDetail, maxDetailLength);
    const error = describeError(ctx.error ?? denial?.cause ?? null, maxDetailLength);

    let before = `{${actionMember}"clientId":${jsonId(principal === null ? null : principal.clientId)},`;
    if (detail !== null) before += `"detail":${JSON.stringify(detail)},`;
    before += `"durationMs":${jsonNumber(completed.durationMs)},`;
    if (error !== null) before += `"error":${JSON.stringify(error)},`;
    before +=
      `"event":"request","ip":${jsonId(ctx.clientAddress)},"method":${jsonId(ctx.method)},"operationId":${operationIdJson},` +
      `"outcome":"${completed.outcome === 'allow' ? 'allow' : 'deny'}","path":${JSON.stringify(cleanPath(ctx.path, maxPathLength))},`;
    const after =
      `,"reason":${reason === null ? 'null' : JSON.stringify(reason)},"requestId":${jsonId(ctx.requestId)},"status":${jsonNumber(completed.status)},` +
      `"sub":${jsonId(principal === null ? null : principal.subject)},"time":"${isoNow()}"}`;
    return { before, after };
  };
}

let isoMs = 0;
let isoText = '';

/** `new Date().toISOString()`, formatted once per millisecond: under load many lines share one. */
export function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/** A short identifier (sub, client id, address, method) as a JSON value. */
export function jsonId(value: string | null | undefined): string {
  if (value === null || value === undefined) return 'null';
  // Most ids (UUIDs, addresses, subjects) need neither escaping nor cleaning.
  if (value.length <= MAX_ID_LENGTH && PLAIN_ID.test(value)) return `"${value}"`;
  return JSON.stringify(stripUnsafeCharacters(truncate(value, MAX_ID_LENGTH)));
}

const PLAIN_ID = /^[\w.:@|+/=-]*$/;

function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/**
 * The path as received, without its query (which can carry
 * `access_token`), with token-shaped segments (magic links) redacted,
 * unsafe characters removed, and cut to `max` characters.
 */
export function cleanPath(path: string, max: number): string {
  let out = path.length > MAX_SCANNED_PATH ? path.slice(0, MAX_SCANNED_PATH) : path;
  const query = out.indexOf('?');
  if (query >= 0) out = out.slice(0, query);
  return truncate(scrubTokens(stripUnsafeCharacters(out)), max);
}
