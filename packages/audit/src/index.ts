/**
 * @palisade/audit: the audit trail of a Palisade service. One JSON line per
 * request (matched or not) built from an allow-list of fields, so no token,
 * cookie, password or query string can reach it; security events and
 * anomaly alerts (ID enumeration, token replay, bursts of failed
 * credentials) counted in the shared rate-limit store. Every line is
 * hash-chained to the one before it; `verifyAuditTrail` and the
 * `palisade audit verify` command name the first broken line.
 */
export { createAuditTrail, type AuditTrail, type AuditTrailOptions, type AnomalyOptions, type SecurityEvent } from './audit-trail';
export { ALERT_CODES, type AlertCode, type AuditAlert } from './internal/anomaly-detector';
export { verifyAuditTrail } from './internal/verify-trail';
export type { AuditVerification, AuditProblem, AuditProblemKind, VerifyOptions } from './internal/verify-chain';
export { AuditTrailError, type AuditTrailErrorCode } from './internal/errors';
