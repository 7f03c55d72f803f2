import type { Denial } from './denial';
import { REASONS } from './reasons';

/** An RFC 9457 problem, ready to write. */
export interface ProblemResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface ProblemRenderOptions {
  /** Prefix of every problem `type` URI. Default `urn:palisade:problem:`. */
  readonly typeBase: string;
  /** `realm` of Bearer challenges, or null for none. */
  readonly realm: string | null;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Renders a denial as `application/problem+json` (RFC 9457) with the
 * `WWW-Authenticate` challenge its reason calls for (RFC 6750 section 3,
 * RFC 9470 section 3). The body carries only public fields: the reason code,
 * private detail and cause stay in the audit trail.
 */
export function renderProblem(denial: Denial, options: ProblemRenderOptions): ProblemResponse {
  const entry = REASONS[denial.reason];
  const body: Record<string, unknown> = {
    type: `${options.typeBase}${entry.type}`,
    title: entry.title,
    status: entry.status,
  };
  if (denial.detail !== null) body.detail = denial.detail;
  if (denial.errors !== null) body.errors = denial.errors;

  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE };
  if (entry.challenge !== null) {
    headers['www-authenticate'] = formatBearerChallenge(entry.challenge, denial.challengeParams, options.realm);
  }
  if (denial.headers !== null) {
    for (const name of Object.keys(denial.headers)) headers[name.toLowerCase()] = denial.headers[name]!;
  }
  return { status: entry.status, headers, body: JSON.stringify(body) };
}

/**
 * Formats a Bearer challenge. `error` is `''` for a bare challenge (no
 * token was sent: RFC 6750 section 3.1 says not to include an error code).
 */
export function formatBearerChallenge(error: string, params: Readonly<Record<string, string>> | null, realm: string | null): string {
  const parts: string[] = [];
  if (realm !== null) parts.push(`realm=${quote(realm)}`);
  if (error !== '') parts.push(`error=${quote(error)}`);
  if (params !== null) {
    for (const name of Object.keys(params)) parts.push(`${name}=${quote(params[name]!)}`);
  }
  return parts.length === 0 ? 'Bearer' : `Bearer ${parts.join(', ')}`;
}

// RFC 9110 quoted-string: backslash-escape `"` and `\`, and drop characters
// that cannot appear in a header value at all (CR, LF, other controls).
function quote(value: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${value.replace(/[\u0000-\u001f\u007f]/g, '').replace(/["\\]/g, '\\$&')}"`;
}
