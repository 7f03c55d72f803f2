/** Codes of the start-up errors this package throws besides `PalisadeConfigError`. */
export type AuditTrailErrorCode = 'ERR_PALISADE_AUDIT_DESTINATION' | 'ERR_PALISADE_AUDIT_TRAIL_BROKEN';

/**
 * The trail's file cannot be used: it cannot be opened or read
 * (`ERR_PALISADE_AUDIT_DESTINATION`), or its last line is broken and
 * `ifLastLineBroken` is `'refuse'` (`ERR_PALISADE_AUDIT_TRAIL_BROKEN`).
 * Thrown by `createAuditTrail`, never while serving requests.
 */
export class AuditTrailError extends Error {
  readonly code: AuditTrailErrorCode;
  /** The file at fault, or null for stdout. */
  readonly file: string | null;

  constructor(code: AuditTrailErrorCode, message: string, file: string | null, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AuditTrailError';
    this.code = code;
    this.file = file;
  }
}
