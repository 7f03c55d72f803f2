/** Escapes one JSON pointer token (RFC 6901). */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Builds a JSON pointer from tokens: `['paths', '/orders', 'get']` -> `/paths/~1orders/get`. */
export function toPointer(tokens: readonly (string | number)[]): string {
  let pointer = '';
  for (const token of tokens) pointer += `/${escapePointerToken(String(token))}`;
  return pointer;
}

/** Resolves a JSON pointer (`/a/b` or `#/a/b`) inside `root`, or `undefined` when it points nowhere. */
export function resolvePointer(root: unknown, pointer: string): unknown {
  const path = pointer.startsWith('#') ? pointer.slice(1) : pointer;
  if (path === '') return root;
  if (!path.startsWith('/')) return undefined;
  let current: unknown = root;
  for (const raw of path.slice(1).split('/')) {
    if (current === null || typeof current !== 'object') return undefined;
    let token: string;
    try {
      token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    } catch {
      return undefined;
    }
    if (!Object.prototype.hasOwnProperty.call(current, token)) return undefined;
    current = (current as Record<string, unknown>)[token];
  }
  return current;
}
