/**
 * A heuristic ReDoS check for the `pattern`s of request schemas, run once
 * at start-up. Backtracking engines (JavaScript's included) take
 * exponential or polynomial time on some patterns; an attacker who knows
 * the document can send the input that triggers it.
 *
 * It parses the pattern (Unicode mode, as ajv compiles it) and looks for
 * the three shapes behind nearly every known case:
 *
 * - `nested_quantifier`: a repeated group whose body ends with an
 *   unbounded repetition of characters the body can also start with, so
 *   one input splits into iterations in many ways: `(a+)+`, `(\w+\s?)*`.
 * - `overlapping_alternation`: an unbounded repetition of alternatives
 *   that can start with the same character: `(a|a)*`, `(\d|\w)+`.
 * - `adjacent_quantifiers`: two unbounded repetitions of overlapping
 *   characters with only optional parts between them: `\d+\d*`, `.*.*x`
 *   (polynomial).
 *
 * It is a heuristic: it may flag a safe pattern (say `(a|ab)*`), and
 * cannot prove one safe. A linear-time engine (the `regExp` option) removes
 * the risk altogether.
 */

export type PatternRiskKind = 'nested_quantifier' | 'overlapping_alternation' | 'adjacent_quantifiers';

export interface PatternRisk {
  readonly kind: PatternRiskKind;
  /** Exponential in the input length, or polynomial (quadratic and up). */
  readonly severity: 'exponential' | 'polynomial';
}

const MAX_CODE_POINT = 0x10ffff;

/** Sorted, non-overlapping inclusive code point ranges. */
type CharSet = readonly (readonly [number, number])[];

const ANY: CharSet = [[0, MAX_CODE_POINT]];
const EMPTY: CharSet = [];
const DIGIT: CharSet = [[0x30, 0x39]];
const WORD: CharSet = normalize([[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]]);
const SPACE: CharSet = normalize([[0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff]]);
const LINE_TERMINATORS: CharSet = normalize([[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]]);

type RegexNode =
  | { readonly type: 'chars'; readonly set: CharSet }
  | { readonly type: 'sequence'; readonly items: readonly RegexNode[] }
  | { readonly type: 'alternation'; readonly alternatives: readonly RegexNode[] }
  | { readonly type: 'repeat'; readonly body: RegexNode; readonly min: number; readonly max: number }
  /** Zero-width: anchors, word boundaries, lookarounds. */
  | { readonly type: 'assertion' }
  /** A backreference: may match anything, or nothing. */
  | { readonly type: 'backreference' };

/**
 * Returns the first risk found in `source`, or null when none is found
 * (or the pattern cannot be parsed: ajv reports those when it compiles).
 */
export function analyzePattern(source: string): PatternRisk | null {
  let tree: RegexNode;
  try {
    tree = new RegexParser(source).parse();
  } catch {
    return null;
  }
  return findRisk(tree);
}

/**
 * True when the pattern is anchored at both ends and repeats nothing
 * without bound, so it limits the length of what it matches
 * (`^ord-[0-9]{4}$`). Such a string needs no `maxLength`.
 */
export function isLengthBoundingPattern(source: string): boolean {
  let tree: RegexNode;
  try {
    tree = new RegexParser(source).parse();
  } catch {
    return false;
  }
  if (tree.type !== 'sequence' || tree.items.length < 2) return false;
  const first = tree.items[0]!;
  const last = tree.items[tree.items.length - 1]!;
  if (first.type !== 'assertion' || last.type !== 'assertion' || !source.startsWith('^') || !source.endsWith('$') || source.endsWith('\\$')) return false;
  return !hasUnboundedRepeat(tree);
}

function hasUnboundedRepeat(node: RegexNode): boolean {
  switch (node.type) {
    case 'repeat':
      return node.max === Infinity || hasUnboundedRepeat(node.body);
    case 'sequence':
      return node.items.some(hasUnboundedRepeat);
    case 'alternation':
      return node.alternatives.some(hasUnboundedRepeat);
    case 'backreference':
      return true;
    default:
      return false;
  }
}

function findRisk(node: RegexNode): PatternRisk | null {
  switch (node.type) {
    case 'repeat': {
      if (node.max > 1) {
        const severity = node.max === Infinity ? 'exponential' : 'polynomial';
        const bodyFirst = firstChars(node.body);
        if (endsWithOverlappingRepeat(node.body, bodyFirst, true, bodyFirst)) return { kind: 'nested_quantifier', severity };
        if (node.max === Infinity && hasOverlappingAlternatives(node.body)) return { kind: 'overlapping_alternation', severity };
      }
      return findRisk(node.body);
    }
    case 'sequence': {
      const items = node.items;
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        if (isUnboundedRepeat(item)) {
          const chars = allChars(item.body);
          for (let j = i + 1; j < items.length; j++) {
            const next = items[j]!;
            if (isUnboundedRepeat(next)) {
              if (intersects(chars, allChars(next.body))) return { kind: 'adjacent_quantifiers', severity: 'polynomial' };
              break;
            }
            if (!isNullable(next)) break;
          }
        }
        const risk = findRisk(item);
        if (risk !== null) return risk;
      }
      return null;
    }
    case 'alternation':
      for (const alternative of node.alternatives) {
        const risk = findRisk(alternative);
        if (risk !== null) return risk;
      }
      return null;
    default:
      return null;
  }
}

function isUnboundedRepeat(node: RegexNode): node is Extract<RegexNode, { type: 'repeat' }> {
  return node.type === 'repeat' && node.max === Infinity && !isNullable(node.body);
}

// Does `node` (the body of a repetition starting with `starts`) contain an
// unbounded repetition Q of characters the body can start with, such that
// what follows Q in the body is optional (one iteration may end inside Q
// or the next begin there) or can start with Q's characters (Q and what
// follows can split the same run of characters)? Either way one input has
// many ways through the loop.
function endsWithOverlappingRepeat(node: RegexNode, starts: CharSet, restNullable: boolean, restFirst: CharSet): boolean {
  switch (node.type) {
    case 'repeat':
      if (node.max === Infinity && !isNullable(node.body)) {
        const chars = allChars(node.body);
        if (intersects(chars, starts) && (restNullable || intersects(chars, restFirst))) return true;
      }
      return endsWithOverlappingRepeat(node.body, starts, restNullable, restFirst);
    case 'sequence':
      return node.items.some((item, i) => {
        const rest: RegexNode = { type: 'sequence', items: node.items.slice(i + 1) };
        const nullable = isNullable(rest);
        return endsWithOverlappingRepeat(item, starts, restNullable && nullable, nullable ? union(firstChars(rest), restFirst) : firstChars(rest));
      });
    case 'alternation':
      return node.alternatives.some((alternative) => endsWithOverlappingRepeat(alternative, starts, restNullable, restFirst));
    default:
      return false;
  }
}

function hasOverlappingAlternatives(node: RegexNode): boolean {
  let current = node;
  while (current.type === 'sequence' && current.items.length === 1) current = current.items[0]!;
  if (current.type !== 'alternation') return false;
  const firsts = current.alternatives.map(firstChars);
  for (let i = 0; i < firsts.length; i++) {
    for (let j = i + 1; j < firsts.length; j++) if (intersects(firsts[i]!, firsts[j]!)) return true;
  }
  return false;
}

function isNullable(node: RegexNode): boolean {
  switch (node.type) {
    case 'chars':
      return false;
    case 'sequence':
      return node.items.every(isNullable);
    case 'alternation':
      return node.alternatives.some(isNullable);
    case 'repeat':
      return node.min === 0 || isNullable(node.body);
    default:
      return true;
  }
}

function firstChars(node: RegexNode): CharSet {
  switch (node.type) {
    case 'chars':
      return node.set;
    case 'sequence': {
      let set: CharSet = EMPTY;
      for (const item of node.items) {
        set = union(set, firstChars(item));
        if (!isNullable(item)) break;
      }
      return set;
    }
    case 'alternation':
      return node.alternatives.reduce<CharSet>((set, alternative) => union(set, firstChars(alternative)), EMPTY);
    case 'repeat':
      return node.max === 0 ? EMPTY : firstChars(node.body);
    case 'backreference':
      return ANY;
    default:
      return EMPTY;
  }
}

function allChars(node: RegexNode): CharSet {
  switch (node.type) {
    case 'chars':
      return node.set;
    case 'sequence':
      return node.items.reduce<CharSet>((set, item) => union(set, allChars(item)), EMPTY);
    case 'alternation':
      return node.alternatives.reduce<CharSet>((set, alternative) => union(set, allChars(alternative)), EMPTY);
    case 'repeat':
      return node.max === 0 ? EMPTY : allChars(node.body);
    case 'backreference':
      return ANY;
    default:
      return EMPTY;
  }
}

function normalize(ranges: readonly (readonly [number, number])[]): CharSet {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function union(a: CharSet, b: CharSet): CharSet {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return normalize([...a, ...b]);
}

function complement(set: CharSet): CharSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [aLo, aHi] = a[i]!;
    const [bLo, bHi] = b[j]!;
    if (aLo <= bHi && bLo <= aHi) return true;
    if (aHi < bHi) i++;
    else j++;
  }
  return false;
}

class RegexSyntaxError extends Error {}

/** A parser for the ECMAScript pattern syntax (Unicode mode), enough to see its structure. */
class RegexParser {
  readonly #source: string;
  #pos = 0;

  constructor(source: string) {
    this.#source = source;
  }

  parse(): RegexNode {
    const node = this.#alternation();
    if (this.#pos < this.#source.length) throw new RegexSyntaxError('unbalanced )');
    return node;
  }

  #peek(): string | undefined {
    return this.#source[this.#pos];
  }

  #alternation(): RegexNode {
    const alternatives = [this.#sequence()];
    while (this.#peek() === '|') {
      this.#pos++;
      alternatives.push(this.#sequence());
    }
    return alternatives.length === 1 ? alternatives[0]! : { type: 'alternation', alternatives };
  }

  #sequence(): RegexNode {
    const items: RegexNode[] = [];
    for (let c = this.#peek(); c !== undefined && c !== '|' && c !== ')'; c = this.#peek()) {
      const atom = this.#atom();
      items.push(this.#quantified(atom));
    }
    return { type: 'sequence', items };
  }

  #quantified(atom: RegexNode): RegexNode {
    const c = this.#peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.#source.slice(this.#pos));
      if (match === null) throw new RegexSyntaxError('lone {');
      min = Number(match[1]);
      max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
      this.#pos += match[0].length - 1;
    } else return atom;
    this.#pos++;
    if (this.#peek() === '?') this.#pos++;
    if (atom.type === 'assertion') throw new RegexSyntaxError('nothing to repeat');
    return { type: 'repeat', body: atom, min, max };
  }

  #atom(): RegexNode {
    const source = this.#source;
    const c = source[this.#pos++]!;
    switch (c) {
      case '^':
      case '$':
        return { type: 'assertion' };
      case '.':
        return { type: 'chars', set: complement(LINE_TERMINATORS) };
      case '(':
        return this.#group();
      case '[':
        return { type: 'chars', set: this.#characterClass() };
      case '\\':
        return this.#escape();
      case '*':
      case '+':
      case '?':
      case '{':
      case '}':
      case ']':
        throw new RegexSyntaxError('unexpected quantifier or bracket');
      default: {
        const code = source.codePointAt(this.#pos - 1)!;
        if (code > 0xffff) this.#pos++;
        return { type: 'chars', set: [[code, code]] };
      }
    }
  }

  #group(): RegexNode {
    let isLookaround = false;
    if (this.#source.startsWith('?:', this.#pos)) this.#pos += 2;
    else if (this.#source.startsWith('?=', this.#pos) || this.#source.startsWith('?!', this.#pos)) {
      this.#pos += 2;
      isLookaround = true;
    } else if (this.#source.startsWith('?<=', this.#pos) || this.#source.startsWith('?<!', this.#pos)) {
      this.#pos += 3;
      isLookaround = true;
    } else if (this.#source.startsWith('?<', this.#pos)) {
      const end = this.#source.indexOf('>', this.#pos);
      if (end === -1) throw new RegexSyntaxError('bad group name');
      this.#pos = end + 1;
    } else if (this.#peek() === '?') throw new RegexSyntaxError('unknown group');
    const body = this.#alternation();
    if (this.#source[this.#pos++] !== ')') throw new RegexSyntaxError('unclosed (');
    return isLookaround ? { type: 'assertion' } : body;
  }

  #escape(): RegexNode {
    const c = this.#source[this.#pos];
    if (c === undefined) throw new RegexSyntaxError('trailing \\');
    if (c === 'b' || c === 'B') {
      this.#pos++;
      return { type: 'assertion' };
    }
    if (/[1-9]/.test(c) || (c === 'k' && this.#source[this.#pos + 1] === '<')) {
      if (c === 'k') this.#pos = this.#source.indexOf('>', this.#pos) + 1;
      else while (/\d/.test(this.#source[this.#pos] ?? '')) this.#pos++;
      if (this.#pos === 0) throw new RegexSyntaxError('bad backreference');
      return { type: 'backreference' };
    }
    return { type: 'chars', set: this.#escapeSet() };
  }

  // An escape's characters, at #pos (after the backslash); used in and out of classes.
  #escapeSet(): CharSet {
    const source = this.#source;
    const c = source[this.#pos++]!;
    switch (c) {
      case 'd':
        return DIGIT;
      case 'D':
        return complement(DIGIT);
      case 'w':
        return WORD;
      case 'W':
        return complement(WORD);
      case 's':
        return SPACE;
      case 'S':
        return complement(SPACE);
      case 'p':
      case 'P': {
        // Unicode property classes: their exact sets do not matter for a
        // heuristic; treat them as "anything", which only errs towards a warning.
        const end = source.indexOf('}', this.#pos);
        if (source[this.#pos] !== '{' || end === -1) throw new RegexSyntaxError('bad property escape');
        this.#pos = end + 1;
        return ANY;
      }
      case 'n':
        return [[0x0a, 0x0a]];
      case 'r':
        return [[0x0d, 0x0d]];
      case 't':
        return [[0x09, 0x09]];
      case 'v':
        return [[0x0b, 0x0b]];
      case 'f':
        return [[0x0c, 0x0c]];
      case '0':
        return [[0, 0]];
      case 'c': {
        const letter = source.charCodeAt(this.#pos++);
        return [[letter % 32, letter % 32]];
      }
      case 'x': {
        const hex = /^[0-9a-fA-F]{2}/.exec(source.slice(this.#pos));
        if (hex === null) throw new RegexSyntaxError('bad \\x');
        this.#pos += 2;
        const code = parseInt(hex[0], 16);
        return [[code, code]];
      }
      case 'u': {
        const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(source.slice(this.#pos));
        const plain = /^[0-9a-fA-F]{4}/.exec(source.slice(this.#pos));
        const match = braced ?? plain;
        if (match === null) throw new RegexSyntaxError('bad \\u');
        this.#pos += match[0].length;
        const code = parseInt(braced ? braced[1]! : match[0], 16);
        return [[code, code]];
      }
      default: {
        const code = source.codePointAt(this.#pos - 1)!;
        if (code > 0xffff) this.#pos++;
        return [[code, code]];
      }
    }
  }

  #characterClass(): CharSet {
    const source = this.#source;
    let negated = false;
    if (source[this.#pos] === '^') {
      negated = true;
      this.#pos++;
    }
    let set: CharSet = EMPTY;
    for (;;) {
      const c = source[this.#pos];
      if (c === undefined) throw new RegexSyntaxError('unclosed [');
      if (c === ']') {
        this.#pos++;
        break;
      }
      const low = this.#classAtom();
      if (source[this.#pos] === '-' && source[this.#pos + 1] !== ']' && source[this.#pos + 1] !== undefined) {
        this.#pos++;
        const high = this.#classAtom();
        if (low.length === 1 && high.length === 1 && low[0]![0] === low[0]![1] && high[0]![0] === high[0]![1]) {
          set = union(set, [[low[0]![0], high[0]![0]]]);
          continue;
        }
        // A class escape (\d) at either end of a range is a syntax error in Unicode mode.
        throw new RegexSyntaxError('bad range');
      }
      set = union(set, low);
    }
    return negated ? complement(set) : set;
  }

  #classAtom(): CharSet {
    const source = this.#source;
    const c = source[this.#pos]!;
    if (c === '\\') {
      this.#pos++;
      if (source[this.#pos] === 'b') {
        this.#pos++;
        return [[0x08, 0x08]];
      }
      if (source[this.#pos] === '-') {
        this.#pos++;
        return [[0x2d, 0x2d]];
      }
      return this.#escapeSet();
    }
    const code = source.codePointAt(this.#pos)!;
    this.#pos += code > 0xffff ? 2 : 1;
    return [[code, code]];
  }
}
