/**
 * Stable codes of the errors Palisade throws at start-up. Codes are
 * permanent: a retired code is never reused for another meaning.
 */
export const PALISADE_ERROR_CODES = {
  ERR_PALISADE_INVALID_OPTIONS: 'An options object does not match its schema.',
  ERR_PALISADE_DOCUMENT_UNREADABLE: 'The OpenAPI document could not be read or parsed.',
  ERR_PALISADE_DOCUMENT_INVALID: 'The OpenAPI document is not a valid OpenAPI 3.0/3.1 document.',
  ERR_PALISADE_DANGLING_REF: 'A $ref in the OpenAPI document points nowhere.',
  ERR_PALISADE_DUPLICATE_OPERATION_ID: 'Two operations share one operationId.',
  ERR_PALISADE_INVALID_EXTENSION: 'An x-palisade-* extension is unknown or ill-typed.',
  ERR_PALISADE_AMBIGUOUS_PATH: 'Two path templates match exactly the same requests.',
  ERR_PALISADE_INVALID_GUARD: 'A guard does not have the shape core expects.',
  ERR_PALISADE_MISUSE: 'A Palisade function was called the wrong way.',
} as const;

export type PalisadeErrorCode = keyof typeof PALISADE_ERROR_CODES;

export interface PalisadeConfigErrorDetails {
  /** Where the problem is: an option path (`cors.origins[0]`) or a JSON pointer into the document. */
  readonly path: string;
  /** The value received, when showing it helps. */
  readonly received?: unknown;
  /** What to do about it. */
  readonly fix?: string;
  readonly cause?: unknown;
}

/**
 * A programmer's mistake found at start-up: bad options, a bad OpenAPI
 * document, a misspelled extension. Never thrown while serving requests.
 */
export class PalisadeConfigError extends Error {
  readonly code: PalisadeErrorCode;
  readonly path: string;
  readonly received: unknown;
  readonly fix: string | null;
  /** Every problem found, when more than one was (the message lists them all). */
  readonly problems: readonly PalisadeConfigErrorDetails[];

  constructor(code: PalisadeErrorCode, message: string, details: PalisadeConfigErrorDetails, problems?: readonly PalisadeConfigErrorDetails[]) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'PalisadeConfigError';
    this.code = code;
    this.path = details.path;
    this.received = details.received;
    this.fix = details.fix ?? null;
    this.problems = problems ?? [details];
  }
}

/** Formats a value for an error message without dumping large objects. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'function') return `a function (${value.name || 'anonymous'})`;
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The closest candidate to `word` within a small edit distance, for "did you mean". */
export function closestMatch(word: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previousDiagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previousDiagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      previousDiagonal = current;
    }
  }
  return row[b.length]!;
}
