/** A parsed `Content-Type` (RFC 9110 section 8.3). */
export interface ContentType {
  /** Lower-case `type/subtype`. */
  readonly mediaType: string;
  /** Lower-case parameter names to their values (unquoted); empty when none. */
  readonly parameters: ReadonlyMap<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const NO_PARAMETERS: ReadonlyMap<string, string> = new Map();
const cache = new Map<string, ContentType | null>();
const CACHE_LIMIT = 256;

/**
 * Parses a `Content-Type` header value strictly: `type/subtype` tokens and
 * `; name=value` parameters (a token or a quoted string). Returns null for
 * anything else, and for a repeated parameter (two charsets are two
 * answers). Results are cached: clients send the same few values.
 */
export function parseContentType(header: string): ContentType | null {
  const cached = cache.get(header);
  if (cached !== undefined) return cached;
  const parsed = parse(header);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(header, parsed);
  return parsed;
}

function parse(header: string): ContentType | null {
  if (header.length > 256) return null;
  const semicolon = header.indexOf(';');
  const essence = (semicolon === -1 ? header : header.slice(0, semicolon)).trim();
  const slash = essence.indexOf('/');
  if (slash === -1 || !TOKEN.test(essence.slice(0, slash)) || !TOKEN.test(essence.slice(slash + 1))) return null;
  const mediaType = essence.toLowerCase();
  if (semicolon === -1) return { mediaType, parameters: NO_PARAMETERS };
  const parameters = new Map<string, string>();
  let pos = semicolon;
  while (pos < header.length) {
    // At a ';'.
    pos++;
    while (header[pos] === ' ' || header[pos] === '\t') pos++;
    if (pos >= header.length) break;
    if (header[pos] === ';') continue;
    const equals = header.indexOf('=', pos);
    if (equals === -1) return null;
    const name = header.slice(pos, equals).toLowerCase();
    if (!TOKEN.test(name) || parameters.has(name)) return null;
    pos = equals + 1;
    let value: string;
    if (header[pos] === '"') {
      value = '';
      pos++;
      for (;;) {
        const c = header[pos];
        if (c === undefined) return null;
        if (c === '"') {
          pos++;
          break;
        }
        if (c === '\\') {
          pos++;
          if (header[pos] === undefined) return null;
        }
        value += header[pos];
        pos++;
      }
    } else {
      let end = header.indexOf(';', pos);
      if (end === -1) end = header.length;
      value = header.slice(pos, end).replace(/[ \t]+$/, '');
      if (!TOKEN.test(value)) return null;
      pos = end;
    }
    parameters.set(name, value);
    while (header[pos] === ' ' || header[pos] === '\t') pos++;
    if (pos < header.length && header[pos] !== ';') return null;
  }
  return { mediaType, parameters };
}

/** `application/json` and `application/*+json` (RFC 6839 section 3.1). */
export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'));
}
