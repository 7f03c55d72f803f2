/**
 * A JSON pointer (RFC 6901) into a parsed request body, split once at
 * start-up so a request only walks tokens.
 */
export interface BodyPointer {
  readonly pointer: string;
  readonly tokens: readonly string[];
}

export function compileBodyPointer(pointer: string): BodyPointer {
  // `~1` before `~0`, as RFC 6901 section 4 orders them, so `~01` reads `~1`.
  const tokens = pointer === '' ? [] : pointer.slice(1).split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
  return Object.freeze({ pointer, tokens: Object.freeze(tokens) });
}

/** The value at the pointer, or `undefined` when the body has nothing there. Only own properties are followed. */
export function readBodyPointer(body: unknown, pointer: BodyPointer): unknown {
  let current = body;
  const tokens = pointer.tokens;
  for (let i = 0; i < tokens.length; i++) {
    if (current === null || typeof current !== 'object') return undefined;
    const token = tokens[i]!;
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      current = current[Number(token)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(current, token)) return undefined;
      current = (current as Record<string, unknown>)[token];
    }
  }
  return current;
}
