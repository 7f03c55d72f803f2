import { hash } from 'node:crypto';

/**
 * `prevHash` of the first line of a chain: 64 zeros, the SHA-256 width in
 * hex, so it can never be the hash of a real line by accident.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** SHA-256 of a line's canonical text (UTF-8), in lower-case hex. */
export function hashCanonical(canonical: string): string {
  return hash('sha256', canonical, 'hex');
}

/**
 * The canonical JSON of a value: object keys sorted by UTF-16 code unit
 * order at every depth, no whitespace, strings and numbers as
 * `JSON.stringify` writes them. The writer emits lines already in this
 * form; the verifier re-derives it from a parsed line, so a line that was
 * only re-formatted (keys reordered, spaces added) still verifies, and any
 * change of content does not.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // Non-finite numbers have no JSON form; JSON.stringify writes null for them too.
    return value === undefined ? 'null' : JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return out + ']';
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + canonicalJson(item);
    first = false;
  }
  return out + '}';
}

/**
 * Seals a canonical line: appends `"hash"` (over the canonical text, which
 * already holds `prevHash`) as the last member, and the newline.
 * `hash` sorts between other keys, but it is excluded from what it covers,
 * so where it sits does not matter; last is what makes sealing a single
 * string concatenation.
 */
export function sealLine(canonical: string): { readonly line: string; readonly hash: string } {
  const digest = hashCanonical(canonical);
  const body = canonical.length === 2 ? '{' : canonical.slice(0, -1) + ',';
  return { line: `${body}"hash":"${digest}"}\n`, hash: digest };
}
