/** Options of `parseStrictJson`. */
export interface StrictJsonOptions {
  /**
   * The deepest nesting of arrays and objects accepted: `{}` and `[]` are
   * depth 1, `{"a":[1]}` depth 2. Default 64, at most 1000.
   */
  readonly maxDepth?: number;
  /**
   * Object keys refused wherever they appear. Default
   * `['__proto__', 'constructor', 'prototype']`. `__proto__` is refused
   * whatever this says.
   */
  readonly forbiddenKeys?: readonly string[];
}

/** Why `parseStrictJson` refused its input (the `kind` of its error). */
export type StrictJsonErrorKind = 'syntax' | 'invalid_utf8' | 'duplicate_key' | 'forbidden_key' | 'too_deep';

/**
 * What `parseStrictJson` throws: a `SyntaxError` whose message comes from a
 * fixed vocabulary and never quotes the input, with where and why it
 * stopped.
 */
export class StrictJsonError extends SyntaxError {
  readonly kind: StrictJsonErrorKind;
  /** Offset in the decoded text (UTF-16 code units) where parsing stopped. */
  readonly offset: number;
  /** JSON pointer of the value being read (`/items/0`); for key errors, of the key itself. Tokens come from the input. */
  readonly pointer: string;

  constructor(kind: StrictJsonErrorKind, message: string, offset: number, pointer: string) {
    super(message);
    this.name = 'StrictJsonError';
    this.kind = kind;
    this.offset = offset;
    this.pointer = pointer;
  }
}

const DEFAULT_FORBIDDEN = Object.freeze(['__proto__', 'constructor', 'prototype']);
const DEFAULT_MAX_DEPTH = 64;
// `ignoreBOM: true` keeps a byte-order mark in the text, where it is a
// syntax error: RFC 8259 section 8.1 forbids sending one.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const forbiddenSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/**
 * Parses JSON (RFC 8259) strictly, for data an attacker may have written:
 *
 * - duplicate keys are refused (RFC 8259 section 4 leaves their meaning
 *   open, so two parsers may read one document differently);
 * - `__proto__`, `constructor` and `prototype` keys are refused anywhere,
 *   and no key is ever assigned in a way that reaches a prototype;
 * - nesting beyond `maxDepth` is refused before it is built;
 * - invalid UTF-8, a byte-order mark, lone surrogates (RFC 7493 section
 *   2.1) and numbers that overflow to infinity are refused.
 *
 * Objects are plain objects, arrays plain arrays.
 *
 * @param input The JSON text, or its UTF-8 bytes.
 * @throws StrictJsonError (a `SyntaxError`) with `kind`
 *   (`syntax`, `invalid_utf8`, `duplicate_key`, `forbidden_key`, `too_deep`),
 *   `offset` and `pointer`. The message never quotes the input.
 * @example
 * ```ts
 * const payload = parseStrictJson(buffer, { maxDepth: 8 });
 * ```
 */
export function parseStrictJson(input: string | Uint8Array, options?: StrictJsonOptions): unknown {
  let text: string;
  if (typeof input === 'string') {
    if (!(input as string & { isWellFormed(): boolean }).isWellFormed()) throw new StrictJsonError('invalid_utf8', 'JSON text contains a lone surrogate', 0, '');
    text = input;
  } else {
    try {
      text = utf8.decode(input);
    } catch {
      throw new StrictJsonError('invalid_utf8', 'JSON text is not valid UTF-8', 0, '');
    }
  }
  const maxDepth = options?.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > 1000) throw new RangeError('parseStrictJson: maxDepth must be an integer from 1 to 1000');
  const parser = new Parser(text, maxDepth, forbiddenSet(options?.forbiddenKeys ?? DEFAULT_FORBIDDEN));
  return parser.parseDocument();
}

function forbiddenSet(keys: readonly string[]): ReadonlySet<string> {
  let set = forbiddenSets.get(keys);
  if (set === undefined) {
    set = new Set([...keys, '__proto__']);
    forbiddenSets.set(keys, set);
  }
  return set;
}

const enum Char {
  Tab = 0x09,
  LineFeed = 0x0a,
  CarriageReturn = 0x0d,
  Space = 0x20,
  Quote = 0x22,
  Plus = 0x2b,
  Comma = 0x2c,
  Minus = 0x2d,
  Dot = 0x2e,
  Slash = 0x2f,
  Zero = 0x30,
  Nine = 0x39,
  Colon = 0x3a,
  UpperE = 0x45,
  OpenBracket = 0x5b,
  Backslash = 0x5c,
  CloseBracket = 0x5d,
  LowerB = 0x62,
  LowerE = 0x65,
  LowerF = 0x66,
  LowerN = 0x6e,
  LowerR = 0x72,
  LowerT = 0x74,
  LowerU = 0x75,
  OpenBrace = 0x7b,
  CloseBrace = 0x7d,
}

class Parser {
  readonly #text: string;
  readonly #maxDepth: number;
  readonly #forbidden: ReadonlySet<string>;
  // Keys and indices of the containers being read, for error pointers.
  readonly #path: (string | number)[] = [];
  #pathLength = 0;
  #pos = 0;
  #depth = 0;

  constructor(text: string, maxDepth: number, forbidden: ReadonlySet<string>) {
    this.#text = text;
    this.#maxDepth = maxDepth;
    this.#forbidden = forbidden;
  }

  parseDocument(): unknown {
    this.#skipWhitespace();
    if (this.#pos >= this.#text.length) this.#fail('syntax', 'JSON text is empty');
    const value = this.#parseValue();
    this.#skipWhitespace();
    if (this.#pos < this.#text.length) this.#fail('syntax', 'unexpected data after the JSON value');
    return value;
  }

  #parseValue(): unknown {
    const text = this.#text;
    const c = text.charCodeAt(this.#pos);
    switch (c) {
      case Char.OpenBrace:
        return this.#parseObject();
      case Char.OpenBracket:
        return this.#parseArray();
      case Char.Quote:
        return this.#parseString();
      case Char.LowerT:
        return this.#parseLiteral('true', true);
      case Char.LowerF:
        return this.#parseLiteral('false', false);
      case Char.LowerN:
        return this.#parseLiteral('null', null);
      default:
        if (c === Char.Minus || (c >= Char.Zero && c <= Char.Nine)) return this.#parseNumber();
        return this.#fail('syntax', Number.isNaN(c) ? 'unexpected end of JSON text' : 'unexpected character');
    }
  }

  #enter(): void {
    if (++this.#depth > this.#maxDepth) this.#fail('too_deep', 'JSON text is nested too deeply');
  }

  #parseObject(): Record<string, unknown> {
    this.#enter();
    const text = this.#text;
    const object: Record<string, unknown> = {};
    const level = this.#pathLength;
    this.#pos++;
    this.#skipWhitespace();
    if (text.charCodeAt(this.#pos) === Char.CloseBrace) {
      this.#pos++;
      this.#depth--;
      return object;
    }
    for (;;) {
      if (text.charCodeAt(this.#pos) !== Char.Quote) this.#fail('syntax', 'expected a property name');
      const key = this.#parseString();
      this.#path[level] = key;
      this.#pathLength = level + 1;
      // Checked before assignment: `object[key] = ...` with `__proto__`
      // would replace the object's prototype instead of adding a key.
      if (this.#forbidden.has(key)) this.#fail('forbidden_key', 'JSON text uses a forbidden property name');
      if (Object.prototype.hasOwnProperty.call(object, key)) this.#fail('duplicate_key', 'JSON text repeats a property name');
      this.#skipWhitespace();
      if (text.charCodeAt(this.#pos) !== Char.Colon) this.#fail('syntax', 'expected ":"');
      this.#pos++;
      this.#skipWhitespace();
      object[key] = this.#parseValue();
      this.#skipWhitespace();
      const c = text.charCodeAt(this.#pos);
      if (c === Char.Comma) {
        this.#pos++;
        this.#skipWhitespace();
        continue;
      }
      if (c === Char.CloseBrace) {
        this.#pos++;
        break;
      }
      this.#fail('syntax', 'expected "," or "}"');
    }
    this.#pathLength = level;
    this.#depth--;
    return object;
  }

  #parseArray(): unknown[] {
    this.#enter();
    const text = this.#text;
    const array: unknown[] = [];
    const level = this.#pathLength;
    this.#pos++;
    this.#skipWhitespace();
    if (text.charCodeAt(this.#pos) === Char.CloseBracket) {
      this.#pos++;
      this.#depth--;
      return array;
    }
    for (;;) {
      this.#path[level] = array.length;
      this.#pathLength = level + 1;
      array.push(this.#parseValue());
      this.#skipWhitespace();
      const c = text.charCodeAt(this.#pos);
      if (c === Char.Comma) {
        this.#pos++;
        this.#skipWhitespace();
        continue;
      }
      if (c === Char.CloseBracket) {
        this.#pos++;
        break;
      }
      this.#fail('syntax', 'expected "," or "]"');
    }
    this.#pathLength = level;
    this.#depth--;
    return array;
  }

  #parseString(): string {
    const text = this.#text;
    let pos = this.#pos + 1;
    let start = pos;
    let result = '';
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === Char.Quote) {
        result += text.slice(start, pos);
        this.#pos = pos + 1;
        return result;
      }
      if (c === Char.Backslash) {
        result += text.slice(start, pos);
        this.#pos = pos;
        result += this.#parseEscape();
        pos = this.#pos;
        start = pos;
        continue;
      }
      if (c < Char.Space || Number.isNaN(c)) {
        this.#pos = pos;
        this.#fail('syntax', Number.isNaN(c) ? 'unterminated string' : 'control character in string');
      }
      pos++;
    }
  }

  // Reads one escape at #pos (the backslash); leaves #pos after it.
  #parseEscape(): string {
    const text = this.#text;
    const c = text.charCodeAt(this.#pos + 1);
    this.#pos += 2;
    switch (c) {
      case Char.Quote:
        return '"';
      case Char.Backslash:
        return '\\';
      case Char.Slash:
        return '/';
      case Char.LowerB:
        return '\b';
      case Char.LowerF:
        return '\f';
      case Char.LowerN:
        return '\n';
      case Char.LowerR:
        return '\r';
      case Char.LowerT:
        return '\t';
      case Char.LowerU: {
        const unit = this.#readHex4();
        if (unit >= 0xdc00 && unit <= 0xdfff) this.#fail('syntax', 'lone surrogate in string');
        if (unit >= 0xd800 && unit <= 0xdbff) {
          // RFC 7493 section 2.1: a high surrogate must be followed by an escaped low one.
          if (text.charCodeAt(this.#pos) !== Char.Backslash || text.charCodeAt(this.#pos + 1) !== Char.LowerU) this.#fail('syntax', 'lone surrogate in string');
          this.#pos += 2;
          const low = this.#readHex4();
          if (low < 0xdc00 || low > 0xdfff) this.#fail('syntax', 'lone surrogate in string');
          return String.fromCharCode(unit, low);
        }
        return String.fromCharCode(unit);
      }
      default:
        this.#pos -= 2;
        return this.#fail('syntax', 'invalid escape in string');
    }
  }

  #readHex4(): number {
    const text = this.#text;
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const c = text.charCodeAt(this.#pos + i);
      let digit: number;
      if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
      else if (c >= 0x41 && c <= 0x46) digit = c - 0x37;
      else if (c >= 0x61 && c <= 0x66) digit = c - 0x57;
      else return this.#fail('syntax', 'invalid \\u escape in string');
      value = value * 16 + digit;
    }
    this.#pos += 4;
    return value;
  }

  #parseNumber(): number {
    const text = this.#text;
    const start = this.#pos;
    let pos = start;
    if (text.charCodeAt(pos) === Char.Minus) pos++;
    let c = text.charCodeAt(pos);
    if (c === Char.Zero) {
      pos++;
    } else if (c >= 0x31 && c <= Char.Nine) {
      do pos++;
      while ((c = text.charCodeAt(pos)) >= Char.Zero && c <= Char.Nine);
    } else {
      this.#pos = pos;
      this.#fail('syntax', 'invalid number');
    }
    if (text.charCodeAt(pos) === Char.Dot) {
      pos++;
      if (!isDigit(text.charCodeAt(pos))) {
        this.#pos = pos;
        this.#fail('syntax', 'invalid number');
      }
      while (isDigit(text.charCodeAt(pos))) pos++;
    }
    c = text.charCodeAt(pos);
    if (c === Char.LowerE || c === Char.UpperE) {
      pos++;
      c = text.charCodeAt(pos);
      if (c === Char.Plus || c === Char.Minus) pos++;
      if (!isDigit(text.charCodeAt(pos))) {
        this.#pos = pos;
        this.#fail('syntax', 'invalid number');
      }
      while (isDigit(text.charCodeAt(pos))) pos++;
    }
    const value = Number(text.slice(start, pos));
    // RFC 7493 section 2.2: a number no IEEE double can hold is refused,
    // rather than read as Infinity.
    if (!Number.isFinite(value)) {
      this.#pos = start;
      this.#fail('syntax', 'number out of range');
    }
    this.#pos = pos;
    return value;
  }

  #parseLiteral<T>(word: string, value: T): T {
    if (!this.#text.startsWith(word, this.#pos)) this.#fail('syntax', 'unexpected character');
    this.#pos += word.length;
    return value;
  }

  #skipWhitespace(): void {
    const text = this.#text;
    let pos = this.#pos;
    let c = text.charCodeAt(pos);
    while (c === Char.Space || c === Char.LineFeed || c === Char.CarriageReturn || c === Char.Tab) c = text.charCodeAt(++pos);
    this.#pos = pos;
  }

  #fail(kind: StrictJsonErrorKind, message: string): never {
    let pointer = '';
    for (const token of this.#path.slice(0, this.#pathLength)) pointer += `/${String(token).replace(/~/g, '~0').replace(/\//g, '~1')}`;
    throw new StrictJsonError(kind, message, this.#pos, pointer);
  }
}

function isDigit(c: number): boolean {
  return c >= Char.Zero && c <= Char.Nine;
}
