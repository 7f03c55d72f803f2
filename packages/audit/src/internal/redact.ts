/**
 * What keeps secrets out of the trail. Request lines are built from an
 * allow-list of fields (never headers, query strings or bodies); these
 * functions clean the few free-text values that do go in (paths, private
 * details, error messages) and the payloads of security events, which can
 * carry objects other code built.
 */

export const REDACTED = '[REDACTED]';

// C0/C1 controls, DEL, line/paragraph separators and bidi overrides: they
// let a value forge extra lines or reorder text in a log viewer.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- as above
const HAS_UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

// A JWS/JWE compact token: its first segment is base64url JSON, so it
// starts with `eyJ` (`{"`); an `alg: none` token has an empty signature.
const JWT_LIKE = /eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){1,4}/g;
// Three long base64url segments are a token even without the `eyJ` tell.
const DOTTED_TOKEN = /[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g;
// Credentials after an HTTP auth scheme (RFC 9110 section 11).
// The lookahead lets "token Bearer abc" redact abc, not the word Bearer.
const SCHEME_CREDENTIALS = /\b(Bearer|DPoP|Basic|Negotiate)(\s+)(?!(?:Bearer|DPoP|Basic|Negotiate)\b)[A-Za-z0-9\-._~+/=]{4,}/gi;
// Header-shaped text: everything after the colon is the secret.
const SECRET_HEADERS = /\b((?:proxy-)?authorization|set-cookie|cookie|x-api-key)(\s*:\s*)[^\r\n]*/gi;
// `password=...`, `"token": "..."`, `client_secret=...`, `?access_token=...`.
const SECRET_ASSIGNMENTS =
  /\b([A-Za-z0-9_-]*(?:passw(?:or)?d|passphrase|pwd|token|secret|api[_-]?key|credential|session(?:id)?|cookie|authorization)[A-Za-z0-9_-]*)("?\s*[=:]\s*)(\[REDACTED\]|"(?:[^"\\]|\\.)*"|'[^']*'|[^\s&;,"'}\]]+)/gi;

/** Property names whose values never reach the trail, whatever their content. */
export const SECRET_KEY =
  /passw(?:or)?d|passphrase|^pwd$|secret|token|authorization|cookie|api[_-]?key|credential|private[_-]?key|session|^otp$|^pin$|signature/i;

/** Removes characters that could fake a new line or reorder text in a viewer. */
export function stripUnsafeCharacters(text: string): string {
  return HAS_UNSAFE_CHARACTERS.test(text) ? text.replace(UNSAFE_CHARACTERS, '') : text;
}

/** Cuts `text` to `max` characters, marking the cut with `…`. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Replaces anything shaped like a token (JWT, long dotted token) with `[REDACTED]`. */
export function scrubTokens(text: string): string {
  let out = text;
  if (out.includes('eyJ')) out = out.replace(JWT_LIKE, REDACTED);
  if (out.includes('.')) out = out.replace(DOTTED_TOKEN, REDACTED);
  return out;
}

/**
 * Cleans free text for the trail: tokens, `Bearer ...` credentials,
 * `Authorization:`/`Cookie:` header text and `secret=value` pairs are
 * replaced by `[REDACTED]`, unsafe characters removed, the rest cut to
 * `max` characters.
 */
export function scrubText(text: string, max: number): string {
  // Cut generously first so the patterns never run over megabytes, then
  // exactly once the secrets are gone (a cut could split a token in two).
  let out = text.length > max * 4 ? text.slice(0, max * 4) : text;
  out = stripUnsafeCharacters(out);
  out = scrubTokens(out);
  out = out.replace(SECRET_HEADERS, `$1$2${REDACTED}`);
  out = out.replace(SCHEME_CREDENTIALS, `$1$2${REDACTED}`);
  out = out.replace(SECRET_ASSIGNMENTS, (match, key: string, separator: string, value: string) => (value === REDACTED ? match : `${key}${separator}${REDACTED}`));
  return truncate(out, max);
}

/** `Name: message` of a thrown value, scrubbed; never its stack (paths, code). */
export function describeError(error: unknown, max: number): string | null {
  if (error === null || error === undefined) return null;
  if (error instanceof Error) return scrubText(`${error.name}: ${error.message}`, max);
  if (typeof error === 'string') return scrubText(error, max);
  return scrubText(`non-error thrown (${typeof error})`, max);
}

/** Limits that keep one security event's line small, whatever it is given. */
export interface PayloadLimits {
  /** Property names (lower-case) to redact besides `SECRET_KEY`: declared secrets, `x-palisade-audit.redact`. */
  readonly secretNames: ReadonlySet<string>;
  readonly maxString: number;
  readonly maxDepth: number;
  /** Values (of any kind) kept in total; the rest is dropped and counted. */
  readonly maxNodes: number;
}

/**
 * A JSON-safe copy of an event payload with secret-named keys redacted,
 * strings scrubbed and the size bounded. Never throws: getters that throw,
 * cycles and exotic values become markers.
 */
export function sanitizePayload(value: unknown, limits: PayloadLimits): unknown {
  const budget = { nodes: limits.maxNodes };
  return sanitizeValue(value, limits, budget, 0);
}

function sanitizeValue(value: unknown, limits: PayloadLimits, budget: { nodes: number }, depth: number): unknown {
  if (budget.nodes-- <= 0) return '[TRUNCATED]';
  switch (typeof value) {
    case 'string':
      return scrubText(value, limits.maxString);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
      return null;
    case 'function':
    case 'symbol':
      return `[${typeof value}]`;
    default:
      break;
  }
  if (value === null) return null;
  if (value instanceof Error) return describeError(value, limits.maxString);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (depth >= limits.maxDepth) return '[TRUNCATED]';
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      if (budget.nodes <= 0) {
        out.push(`[${value.length - i} more]`);
        break;
      }
      out.push(sanitizeValue(readSafely(() => value[i]), limits, budget, depth + 1));
    }
    return out;
  }
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return '[binary]';
  const out: Record<string, unknown> = {};
  let keys: string[];
  try {
    keys = Object.keys(value as object);
  } catch {
    return '[unreadable]';
  }
  for (const key of keys) {
    if (budget.nodes <= 0) {
      out['…'] = 'more keys dropped';
      break;
    }
    const safeKey = truncate(stripUnsafeCharacters(key), 64);
    if (isSecretName(key, limits.secretNames)) {
      budget.nodes--;
      out[safeKey] = REDACTED;
      continue;
    }
    out[safeKey] = sanitizeValue(readSafely(() => (value as Record<string, unknown>)[key]), limits, budget, depth + 1);
  }
  return out;
}

function readSafely(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    return '[unreadable]';
  }
}

/** True when a property of this name must never reach the trail. */
export function isSecretName(name: string, extra: ReadonlySet<string>): boolean {
  return SECRET_KEY.test(name) || (extra.size > 0 && extra.has(name.toLowerCase()));
}
