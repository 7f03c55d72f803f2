const NO_PAIRS: readonly string[] = Object.freeze([]);

/**
 * Splits an `application/x-www-form-urlencoded` string (a query string
 * without `?`, or a form body) into decoded `[name, value, name, value,
 * ...]`. `+` is a space; a pair without `=` has the value `''`; empty
 * pairs (`a=1&&b=2`) are skipped. Returns null when a name or value is not
 * valid percent-encoded UTF-8: such input is refused, never guessed at.
 */
export function splitPairs(input: string): readonly string[] | null {
  // Most requests have no query: share one empty result.
  if (input === '') return NO_PAIRS;
  const pairs: string[] = [];
  let start = 0;
  while (start <= input.length) {
    let end = input.indexOf('&', start);
    if (end === -1) end = input.length;
    if (end > start) {
      const equals = input.indexOf('=', start);
      const split = equals === -1 || equals > end ? end : equals;
      const name = decodeComponent(input.slice(start, split));
      const value = split === end ? '' : decodeComponent(input.slice(split + 1, end));
      if (name === null || value === null) return null;
      pairs.push(name, value);
    }
    start = end + 1;
  }
  return pairs;
}

/** Percent-decodes one form component, `+` as space; null when malformed. */
export function decodeComponent(component: string): string | null {
  if (component.indexOf('%') === -1 && component.indexOf('+') === -1) return component;
  try {
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}
