import type { CompiledDocument } from '@palisade/core';

/**
 * Property names the document marks as secret: every property with
 * `x-palisade-secret: true`, and the last token of every
 * `x-palisade-audit.redact` pointer. The trail never logs bodies; these
 * names are redacted from the payloads of security events, which may carry
 * objects built from request data. Lower-case.
 */
export function collectSecretNames(compiled: CompiledDocument): Set<string> {
  const names = new Set<string>();
  const seen = new Set<object>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    const record = node as Record<string, unknown>;
    const properties = record.properties;
    if (properties !== null && typeof properties === 'object' && !Array.isArray(properties)) {
      for (const [name, schema] of Object.entries(properties as Record<string, unknown>)) {
        if (schema !== null && typeof schema === 'object' && (schema as Record<string, unknown>)['x-palisade-secret'] === true) names.add(name.toLowerCase());
      }
    }
    for (const value of Object.values(record)) visit(value);
  };
  visit(compiled.document);
  for (const operation of compiled.operations) {
    for (const pointer of operation.extensions.audit?.redact ?? []) {
      const last = pointer.slice(pointer.lastIndexOf('/') + 1).replace(/~1/g, '/').replace(/~0/g, '~');
      if (last !== '' && !/^\d+$/.test(last)) names.add(last.toLowerCase());
    }
  }
  return names;
}
