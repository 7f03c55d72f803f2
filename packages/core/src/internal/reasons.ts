/**
 * Every reason a request can be denied for, with its HTTP status, the
 * problem title the client sees, the problem type (shared by reasons the
 * client must not be able to tell apart), and the RFC 6750 / RFC 9470
 * `error` of the Bearer challenge where one applies.
 *
 * The reason itself goes to the audit trail; the client sees status, title
 * and type. This table is the closed list documented in docs/reasons.md;
 * a test keeps the two in step.
 */
export const REASONS = {
  path_malformed: { status: 400, title: 'Bad Request', type: 'bad-request', challenge: null },
  undeclared_route: { status: 404, title: 'Not Found', type: 'not-found', challenge: null },
  method_not_allowed: { status: 405, title: 'Method Not Allowed', type: 'method-not-allowed', challenge: null },
  operation_not_implemented: { status: 501, title: 'Not Implemented', type: 'not-implemented', challenge: null },
  cors_origin_denied: { status: 403, title: 'Forbidden', type: 'cors-origin-denied', challenge: null },

  token_missing: { status: 401, title: 'Unauthorized', type: 'unauthorized', challenge: '' },
  token_invalid: { status: 401, title: 'Unauthorized', type: 'invalid-token', challenge: 'invalid_token' },
  token_malformed: { status: 401, title: 'Unauthorized', type: 'invalid-token', challenge: 'invalid_token' },
  token_too_large: { status: 401, title: 'Unauthorized', type: 'invalid-token', challenge: 'invalid_token' },
  token_expired: { status: 401, title: 'Unauthorized', type: 'invalid-token', challenge: 'invalid_token' },
  token_not_yet_valid: { status: 401, title: 'Unauthorized', type: 'invalid-token', challenge: 'invalid_token' },
  token_signature_invalid: { status: 401, title: 'Unauthorized', type: 'invalid-token', challenge: 'invalid_token' },
  token_issuer_invalid: { status: 401, title: 'Unauthorized', type: 'invalid-token', challenge: 'invalid_token' },
  token_audience_invalid: { status: 401, title: 'Unauthorized', type: 'invalid-token', challenge: 'invalid_token' },
  token_type_invalid: { status: 401, title: 'Unauthorized', type: 'invalid-token', challenge: 'invalid_token' },
  token_algorithm_not_allowed: { status: 401, title: 'Unauthorized', type: 'invalid-token', challenge: 'invalid_token' },
  token_claims_invalid: { status: 401, title: 'Unauthorized', type: 'invalid-token', challenge: 'invalid_token' },
  token_revoked: { status: 401, title: 'Unauthorized', type: 'invalid-token', challenge: 'invalid_token' },
  token_binding_invalid: { status: 401, title: 'Unauthorized', type: 'invalid-token', challenge: 'invalid_token' },
  step_up_required: { status: 401, title: 'Unauthorized', type: 'insufficient-user-authentication', challenge: 'insufficient_user_authentication' },
  bad_credentials: { status: 401, title: 'Unauthorized', type: 'bad-credentials', challenge: null },

  insufficient_scope: { status: 403, title: 'Forbidden', type: 'insufficient-scope', challenge: 'insufficient_scope' },
  access_rule_failed: { status: 403, title: 'Forbidden', type: 'forbidden', challenge: null },
  not_found_or_not_owner: { status: 404, title: 'Not Found', type: 'not-found', challenge: null },

  schema_invalid: { status: 400, title: 'Bad Request', type: 'validation-failed', challenge: null },
  body_malformed: { status: 400, title: 'Bad Request', type: 'bad-request', challenge: null },
  unsupported_media_type: { status: 415, title: 'Unsupported Media Type', type: 'unsupported-media-type', challenge: null },
  payload_too_large: { status: 413, title: 'Content Too Large', type: 'payload-too-large', challenge: null },
  ssrf_blocked: { status: 400, title: 'Bad Request', type: 'url-not-allowed', challenge: null },

  rate_limited: { status: 429, title: 'Too Many Requests', type: 'rate-limited', challenge: null },
  subject_blocked: { status: 429, title: 'Too Many Requests', type: 'rate-limited', challenge: null },

  upstream_invalid: { status: 502, title: 'Bad Gateway', type: 'upstream-invalid', challenge: null },
  upstream_unavailable: { status: 503, title: 'Service Unavailable', type: 'upstream-unavailable', challenge: null },
  upstream_timeout: { status: 504, title: 'Gateway Timeout', type: 'upstream-timeout', challenge: null },

  response_invalid: { status: 500, title: 'Internal Server Error', type: 'internal-error', challenge: null },
  internal_error: { status: 500, title: 'Internal Server Error', type: 'internal-error', challenge: null },
} as const satisfies Record<string, ReasonEntry>;

interface ReasonEntry {
  readonly status: number;
  readonly title: string;
  readonly type: string;
  /** `null`: no challenge; `''`: a bare `Bearer` challenge; else the RFC 6750 `error` value. */
  readonly challenge: string | null;
}

/** A stable reason code: the `reason` of an audit line. */
export type ReasonCode = keyof typeof REASONS;

export const REASON_CODES = Object.freeze(Object.keys(REASONS) as ReasonCode[]);

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(REASONS, value);
}
