import { PalisadeConfigError } from '@palisade/core';
import { verifyTrailFile, verifyTrailText, type AuditVerification, type VerifyOptions } from './verify-chain';

/**
 * Verifies an audit trail's hash chain and names the first broken or
 * missing line: a line whose content does not match its `hash` (changed),
 * whose `prevHash` is not the previous line's `hash` (a line deleted,
 * inserted or moved), or that is not JSON (corrupt, cut short).
 *
 * A chain cannot show that lines were cut off its end; compare `lastHash`
 * with the trail's `lastHash` kept elsewhere for that.
 *
 * @param source A file path, `{ file }`, or `{ text }` (the trail's content).
 * @example
 * ```ts
 * const result = await verifyAuditTrail('/var/log/orders/audit.log');
 * if (!result.intact) console.error(`line ${result.firstProblem!.line}: ${result.firstProblem!.message}`);
 * ```
 * @throws PalisadeConfigError when `source` is none of these; rejects with the file system's error when the file cannot be read.
 */
export async function verifyAuditTrail(source: string | { readonly file: string } | { readonly text: string }, options: VerifyOptions = {}): Promise<AuditVerification> {
  if (typeof source === 'object' && source !== null && typeof (source as { text?: unknown }).text === 'string') return verifyTrailText((source as { text: string }).text, options);
  const file = typeof source === 'string' ? source : typeof source === 'object' && source !== null ? (source as { file?: unknown }).file : undefined;
  if (typeof file !== 'string' || file === '') {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'verifyAuditTrail needs a file path, { file: "audit.log" } or { text: "<the trail>" }.', { path: 'source', received: source });
  }
  return verifyTrailFile(file, options);
}
