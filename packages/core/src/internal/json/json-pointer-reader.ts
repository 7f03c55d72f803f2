/** Reads the value a JSON pointer names in a parsed JSON value, or `undefined`. */
export type JsonPointerReader = (value: unknown) => unknown;

const ARRAY_INDEX = /^(0|[1-9]\d*)$/;

/**
 * Compiles an RFC 6901 JSON pointer (`/items/0/sku`) into a reader, once,
 * for guards that read a request body at a declared place (brute-force
 * identifiers, SSRF fields). The reader follows own properties only, so a
 * pointer can never reach into `Object.prototype`, and array steps must be
 * canonical indexes.
 */
export function compileJsonPointer(pointer: string): JsonPointerReader {
  // `~1` before `~0`, as RFC 6901 section 4 orders them, so `~01` reads `~1`.
  const tokens = pointer === '' ? [] : pointer.slice(1).split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
  return (value) => {
    let current = value;
    for (let i = 0; i < tokens.length; i++) {
      if (current === null || typeof current !== 'object') return undefined;
      const token = tokens[i]!;
      if (Array.isArray(current)) {
        if (!ARRAY_INDEX.test(token)) return undefined;
        current = current[Number(token)];
      } else {
        if (!Object.prototype.hasOwnProperty.call(current, token)) return undefined;
        current = (current as Record<string, unknown>)[token];
      }
    }
    return current;
  };
}
