import { PalisadeConfigError } from '@palisade/core';
import { INVALID, fail, failedAt, type ValueFilter } from './filter-runtime';
import {
  T_ANY,
  T_ARRAY,
  T_BOOLEAN,
  T_INTEGER,
  T_NULL,
  T_NUMBER,
  T_OBJECT,
  T_STRING,
  canonicalPart,
  describeTypes,
  expandShape,
  visibilityOf,
  type SchemaPart,
  type SchemaSource,
  type Shape,
  type UnionGroup,
  type Visibility,
} from './schema-shape';

/** Bits are combined with `|` and `&`, which work on 31 usable bits. */
const MAX_VISIBILITY_SCOPES = 30;
/** An object precomputes one property list per combination of its scopes: 2^10 at most. */
const MAX_SCOPES_PER_OBJECT = 10;
/** `oneOf`/`anyOf` groups of one schema expand to every combination of their branches. */
const MAX_UNION_COMBINATIONS = 64;

const identity: ValueFilter = (value) => value;
const hasOwnProperty = Object.prototype.hasOwnProperty;

const MESSAGE_REQUIRED = 'is required by the schema but missing (or not visible to the caller)';
const MESSAGE_SECRET = 'is marked secret (x-palisade-secret or writeOnly) where it cannot be left out';
const MESSAGE_NOT_VISIBLE = 'is visible only to other scopes (x-palisade-visible-to) where it cannot be left out';
const MESSAGE_TOO_MANY_ITEMS = 'has more items than the schema declares';
const MESSAGE_NO_BRANCH = 'matches none of the oneOf/anyOf branches';
const MESSAGE_DISCRIMINATOR_MISSING = 'is the discriminator property, and it is missing or not a string';
const MESSAGE_DISCRIMINATOR_UNKNOWN = 'is a discriminator value no oneOf/anyOf branch is mapped to';
const MESSAGE_NEVER = 'is not allowed by the schema (false)';

/** A compiled schema: its filter (set once compiled; recursion reads it late), and what it reaches. */
interface Entry {
  /** Where the schema is (its first part), for start-up errors. */
  readonly pointer: string;
  fn: ValueFilter | null;
  /** Visibility bits tested by this schema's own properties and sites. */
  bits: number;
  readonly children: Entry[];
  /** Calls `fn` once it exists: the edge back into a schema still being compiled. */
  readonly late: ValueFilter;
}

/** One declared property of an object schema, compiled. */
interface PropertyPlan {
  readonly key: string;
  readonly filter: ValueFilter;
  readonly required: boolean;
  /** `__proto__` must be read and written as an own property, never as the prototype. */
  readonly isProtoKey: boolean;
}

interface PropertyCandidate {
  readonly key: string;
  readonly required: boolean;
  readonly secret: boolean;
  /** One mask per visible-to list; the caller needs a bit of each. */
  readonly scopeMasks: readonly number[];
  readonly filter: ValueFilter | null;
}

interface ExtraRule {
  readonly test: RegExp | null;
  readonly filter: ValueFilter;
  readonly scopeMasks: readonly number[] | null;
  readonly secret: boolean;
}

/**
 * Compiles the schemas of one document into filters, once, at start-up.
 * Each schema (a set of `allOf` parts, keyed by JSON pointers) compiles
 * once and is shared by every response that uses it; a schema that
 * refers to itself gets a late-bound edge to its own filter.
 *
 * Per-scope visibility is decided here too: every scope named in an
 * `x-palisade-visible-to` gets a bit, and each object schema precomputes
 * its property list for every combination of the bits it tests. A request
 * then only computes its caller's bit mask and looks lists up.
 */
export class SchemaFilterCompiler {
  readonly #source: SchemaSource;
  readonly #memo = new Map<string, Entry>();
  readonly #scopeBits = new Map<string, number>();

  constructor(source: SchemaSource) {
    this.#source = source;
  }

  /**
   * The filter for one response schema, and the visibility bits it (and
   * every schema it reaches) tests, so the caller knows which of the
   * caller's scopes matter.
   */
  compileRoot(part: SchemaPart): { readonly filter: ValueFilter; readonly bits: number } {
    const entry = this.#compile([part], new Map());
    const visibility = visibilityOf(this.#source, [part]);
    const filter = this.#guardSite(filterOf(entry), visibility);
    return { filter, bits: reachableBits(entry) | this.#bitsOf(visibility) };
  }

  /** The scopes behind `bits`, with their bits: what a request tests on its principal. */
  scopesOf(bits: number): { readonly scopes: readonly string[]; readonly bits: readonly number[] } {
    const scopes: string[] = [];
    const masks: number[] = [];
    for (const [scope, bit] of this.#scopeBits) {
      if ((bits & bit) !== 0) {
        scopes.push(scope);
        masks.push(bit);
      }
    }
    return { scopes, bits: masks };
  }

  #compile(parts: readonly SchemaPart[], choices: ReadonlyMap<string, number>): Entry {
    const canonical = dedupe(parts.map((part) => canonicalPart(this.#source, part)));
    const key = memoKey(canonical, choices);
    const known = this.#memo.get(key);
    if (known !== undefined) return known;
    const entry: Entry = { pointer: canonical[0]?.pointer ?? '', fn: null, bits: 0, children: [], late: (value, mask) => entry.fn!(value, mask) };
    this.#memo.set(key, entry);
    const shape = expandShape(this.#source, canonical, choices);
    entry.fn = shape.unions.length > 0 ? this.#compileUnion(shape, canonical, choices, entry) : this.#compileShape(shape, entry);
    return entry;
  }

  #child(parts: readonly SchemaPart[], parent: Entry): ValueFilter {
    const entry = this.#compile(parts, new Map());
    parent.children.push(entry);
    return filterOf(entry);
  }

  #compileShape(shape: Shape, entry: Entry): ValueFilter {
    if (shape.never) return () => fail(MESSAGE_NEVER);
    const types = shape.types;
    const objectFilter = (types & T_OBJECT) !== 0 && (shape.typed || shape.hasObjectKeywords) ? this.#compileObject(shape, entry) : null;
    const arrayFilter = (types & T_ARRAY) !== 0 && shape.hasArrayKeywords ? this.#compileArray(shape, entry) : null;
    return typeDispatch(types, objectFilter, arrayFilter);
  }

  #compileObject(shape: Shape, entry: Entry): ValueFilter {
    const candidates: PropertyCandidate[] = [];
    let relevant = 0;
    for (const [key, parts] of shape.properties) {
      const visibility = visibilityOf(this.#source, parts);
      const secret = visibility?.secret === true;
      const scopeMasks = secret ? [] : this.#scopeMasks(visibility);
      for (const mask of scopeMasks) relevant |= mask;
      // A secret property is never sent, so its schema need not compile.
      candidates.push({ key, required: shape.required.has(key), secret, scopeMasks, filter: secret ? null : this.#child(parts, entry) });
    }
    entry.bits |= relevant;
    if (bitCount(relevant) > MAX_SCOPES_PER_OBJECT) {
      const pointer = entry.pointer;
      throw new PalisadeConfigError('ERR_PALISADE_INVALID_EXTENSION', `createResponseFilter: the object schema at ${pointer} restricts its properties to more than ${MAX_SCOPES_PER_OBJECT} different scopes (x-palisade-visible-to); Palisade precomputes one property list per combination and allows at most ${MAX_SCOPES_PER_OBJECT}.`, {
        path: pointer,
        fix: 'Group the visibility of these properties under fewer scopes.',
      });
    }
    // One property list per combination of the scopes this object tests:
    // a request picks its list by its mask, it never re-derives one.
    const variants = new Map<number, readonly PropertyPlan[]>();
    for (let subset = relevant; ; subset = (subset - 1) & relevant) {
      variants.set(subset, Object.freeze(candidates.filter((candidate) => isVisible(candidate, subset)).map(toPlan)));
      if (subset === 0) break;
    }
    const single = relevant === 0 ? variants.get(0)! : null;
    const declared = new Set(shape.properties.keys());
    const extras = this.#compileExtras(shape, entry);
    const additional = shape.additional.kind;
    const hasExtras = extras.length > 0;

    return function filterObject(value, mask) {
      const source = value as Record<string, unknown>;
      const plans = single ?? variants.get(mask & relevant)!;
      const out: Record<string, unknown> = {};
      for (let i = 0; i < plans.length; i++) {
        const plan = plans[i]!;
        const key = plan.key;
        // Own properties only: a polluted Object.prototype or a getter on a
        // class adds nothing, and such a getter is never even called. (A
        // declared, visible property that is own but not enumerable is sent
        // although JSON.stringify would skip it: it is declared, so that
        // leaks nothing, and hasOwnProperty is much the cheaper test.)
        let field = hasOwnProperty.call(source, key) ? source[key] : undefined;
        if (typeof field === 'object' && field !== null && typeof (field as { toJSON?: unknown }).toJSON === 'function') field = (field as { toJSON: (key: string) => unknown }).toJSON(key);
        if (field === undefined || typeof field === 'function' || typeof field === 'symbol') {
          if (plan.required) {
            fail(MESSAGE_REQUIRED);
            return failedAt(key);
          }
          continue;
        }
        const filtered = plan.filter(field, mask);
        if (filtered === INVALID) {
          // A value that does not fit its schema is left out; unless the
          // schema requires it, and then the whole object cannot be sent.
          if (plan.required) return failedAt(key);
          continue;
        }
        if (plan.isProtoKey) defineOwn(out, key, filtered);
        else out[key] = filtered;
      }
      if (hasExtras) copyExtras(source, out, mask, declared, extras);
      else if (additional === 'keep') copyUndeclared(source, out, declared);
      return out;
    };
  }

  #compileExtras(shape: Shape, entry: Entry): ExtraRule[] {
    const rules: ExtraRule[] = [];
    for (const pattern of shape.patterns) {
      let test: RegExp;
      try {
        test = new RegExp(pattern.source, 'u');
      } catch (error) {
        throw new PalisadeConfigError('ERR_PALISADE_DOCUMENT_INVALID', `createResponseFilter: patternProperties key at ${pattern.pointer} is not a valid regular expression.`, { path: pattern.pointer, received: pattern.source, cause: error });
      }
      rules.push(this.#extraRule(test, pattern.parts, entry));
    }
    // additionalProperties: a schema filters the values of undeclared keys;
    // `true` keeps them (handled without rules); absent or false drops them.
    if (rules.length > 0 || shape.additional.kind === 'filter') {
      if (shape.additional.kind === 'filter') rules.push(this.#extraRule(null, shape.additional.parts, entry));
      else if (shape.additional.kind === 'keep') rules.push({ test: null, filter: identity, scopeMasks: null, secret: false });
    }
    return rules;
  }

  #extraRule(test: RegExp | null, parts: readonly SchemaPart[], entry: Entry): ExtraRule {
    const visibility = visibilityOf(this.#source, parts);
    const scopeMasks = this.#scopeMasks(visibility);
    for (const mask of scopeMasks) entry.bits |= mask;
    return { test, filter: this.#child(parts, entry), scopeMasks: scopeMasks.length > 0 ? scopeMasks : null, secret: visibility?.secret === true };
  }

  #compileArray(shape: Shape, entry: Entry): ValueFilter {
    const site = (parts: readonly SchemaPart[]): ValueFilter => {
      const visibility = visibilityOf(this.#source, parts);
      entry.bits |= this.#bitsOf(visibility);
      return this.#guardSite(this.#child(parts, entry), visibility);
    };
    const prefix = shape.prefixItems.map(site);
    const rest: ValueFilter | null = shape.itemsForbidden ? null : shape.items.length > 0 ? site(shape.items) : identity;
    const prefixLength = prefix.length;

    return function filterArray(value, mask) {
      const source = value as unknown[];
      const length = source.length;
      // Copy on write: an array whose items all pass unchanged (strings,
      // numbers) is returned as it is, without a copy.
      let out: unknown[] | null = null;
      for (let i = 0; i < length; i++) {
        let item = source[i];
        if (typeof item === 'object' && item !== null && typeof (item as { toJSON?: unknown }).toJSON === 'function') item = (item as { toJSON: (key: string) => unknown }).toJSON(String(i));
        // JSON.stringify writes what it cannot represent in an array as null.
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') item = null;
        const itemFilter = i < prefixLength ? prefix[i]! : rest;
        if (itemFilter === null) {
          fail(MESSAGE_TOO_MANY_ITEMS);
          return failedAt(i);
        }
        const filtered = itemFilter(item, mask);
        if (filtered === INVALID) return failedAt(i);
        if (out !== null) out.push(filtered);
        else if (filtered !== source[i]) {
          out = source.slice(0, i);
          out.push(filtered);
        }
      }
      return out ?? source;
    };
  }

  #compileUnion(shape: Shape, parts: readonly SchemaPart[], choices: ReadonlyMap<string, number>, entry: Entry): ValueFilter {
    const groups = shape.unions;
    let combinations = 1;
    for (const group of groups) combinations *= Math.max(group.branches.length, 1);
    if (combinations > MAX_UNION_COMBINATIONS) {
      throw new PalisadeConfigError('ERR_PALISADE_DOCUMENT_INVALID', `createResponseFilter: the response schema at ${groups[0]!.pointer} combines oneOf/anyOf groups into ${combinations} alternatives; Palisade compiles each alternative once and allows at most ${MAX_UNION_COMBINATIONS}.`, {
        path: groups[0]!.pointer,
        fix: 'Nest the oneOf/anyOf groups under separate properties, or merge alternatives.',
      });
    }
    // Every combination of one branch per group, merged with the schema
    // around it (its type, its properties) into one alternative, in the
    // order the branches are declared.
    const alternatives: { filter: ValueFilter; branches: SchemaPart[] }[] = [];
    const pick = (index: number, current: Map<string, number>, chosen: SchemaPart[]) => {
      if (index === groups.length) {
        const alternative = this.#compile(parts, current);
        entry.children.push(alternative);
        const visibility = visibilityOf(this.#source, chosen);
        entry.bits |= this.#bitsOf(visibility);
        alternatives.push({ filter: this.#guardSite(filterOf(alternative), visibility), branches: [...chosen] });
        return;
      }
      const group = groups[index]!;
      group.branches.forEach((branch, branchIndex) => {
        pick(index + 1, new Map(current).set(group.pointer, branchIndex), [...chosen, branch]);
      });
    };
    pick(0, new Map(choices), []);
    const filters = alternatives.map((alternative) => alternative.filter);
    const discriminator = groups.length === 1 ? this.#discriminatorTable(groups[0]!, filters) : null;
    // OpenAPI 3.0: `nullable: true` beside a oneOf admits null by itself.
    const admitsNull = this.#source.version === '3.0' && (shape.types & T_NULL) !== 0;

    return function filterUnion(value, mask) {
      if (value === null && admitsNull) return null;
      let candidates: readonly ValueFilter[] = filters;
      if (discriminator !== null && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        const name = discriminator.propertyName;
        const tag = hasOwnProperty.call(value, name) ? (value as Record<string, unknown>)[name] : undefined;
        if (typeof tag !== 'string') {
          fail(MESSAGE_DISCRIMINATOR_MISSING);
          return failedAt(name);
        }
        const mapped = discriminator.table.get(tag);
        if (mapped === undefined) {
          fail(MESSAGE_DISCRIMINATOR_UNKNOWN);
          return failedAt(name);
        }
        candidates = mapped;
      }
      // The first alternative that accepts the value decides its shape:
      // with loose matching (undeclared keys dropped, not rejected) an
      // earlier, narrower branch wins, which only ever sends less.
      for (let i = 0; i < candidates.length; i++) {
        const filtered = candidates[i]!(value, mask);
        if (filtered !== INVALID) return filtered;
      }
      return fail(MESSAGE_NO_BRANCH);
    };
  }

  // discriminator value -> alternatives, from `mapping` and from the names of
  // `$ref`ed branches (OpenAPI's implicit mapping). Null when some branch
  // cannot be named: then every branch is tried in order instead.
  #discriminatorTable(group: UnionGroup, filters: readonly ValueFilter[]): { propertyName: string; table: ReadonlyMap<string, readonly ValueFilter[]> } | null {
    const discriminator = group.discriminator;
    if (discriminator === null) return null;
    const targets = group.branches.map((branch) => canonicalPart(this.#source, branch).pointer);
    const table = new Map<string, ValueFilter[]>();
    const add = (tag: string, index: number) => {
      const list = table.get(tag) ?? [];
      if (!list.includes(filters[index]!)) list.push(filters[index]!);
      table.set(tag, list);
    };
    const mapped = new Set<number>();
    for (const [tag, reference] of discriminator.mapping) {
      const index = targets.indexOf(reference.startsWith('#') ? reference.slice(1) : `/components/schemas/${reference}`);
      if (index < 0) continue;
      add(tag, index);
      mapped.add(index);
    }
    for (let index = 0; index < group.branches.length; index++) {
      if (typeof (group.branches[index]!.schema as { $ref?: unknown } | null)?.$ref !== 'string') {
        if (!mapped.has(index)) return null;
        continue;
      }
      const name = targets[index]!.split('/').pop()!.replace(/~1/g, '/').replace(/~0/g, '~');
      if (!discriminator.mapping.has(name)) add(name, index);
    }
    return { propertyName: discriminator.propertyName, table };
  }

  // A restricted value where it cannot be left out (the body itself, an
  // array item, a oneOf branch) fails instead: the response is refused
  // rather than sent with the value in it.
  #guardSite(filter: ValueFilter, visibility: Visibility | null): ValueFilter {
    if (visibility === null) return filter;
    if (visibility.secret) return () => fail(MESSAGE_SECRET);
    const masks = this.#scopeMasks(visibility);
    return (value, mask) => (isVisibleTo(masks, mask) ? filter(value, mask) : fail(MESSAGE_NOT_VISIBLE));
  }

  #scopeMasks(visibility: Visibility | null): number[] {
    if (visibility === null) return [];
    return visibility.scopeLists.map((scopes) => {
      let mask = 0;
      for (const scope of scopes) mask |= this.#bitFor(scope);
      return mask;
    });
  }

  #bitsOf(visibility: Visibility | null): number {
    let bits = 0;
    for (const mask of this.#scopeMasks(visibility)) bits |= mask;
    return bits;
  }

  #bitFor(scope: string): number {
    const known = this.#scopeBits.get(scope);
    if (known !== undefined) return known;
    if (this.#scopeBits.size >= MAX_VISIBILITY_SCOPES) {
      throw new PalisadeConfigError('ERR_PALISADE_INVALID_EXTENSION', `createResponseFilter: response schemas name more than ${MAX_VISIBILITY_SCOPES} different scopes in x-palisade-visible-to ("${scope}" is one too many).`, {
        path: 'x-palisade-visible-to',
        received: scope,
        fix: `Use at most ${MAX_VISIBILITY_SCOPES} distinct visibility scopes across the document.`,
      });
    }
    const bit = 1 << this.#scopeBits.size;
    this.#scopeBits.set(scope, bit);
    return bit;
  }
}

function filterOf(entry: Entry): ValueFilter {
  return entry.fn ?? entry.late;
}

function reachableBits(root: Entry): number {
  let bits = 0;
  const seen = new Set<Entry>();
  const stack = [root];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    if (seen.has(entry)) continue;
    seen.add(entry);
    bits |= entry.bits;
    for (const child of entry.children) stack.push(child);
  }
  return bits;
}

function dedupe(parts: readonly SchemaPart[]): SchemaPart[] {
  const seen = new Set<string>();
  return parts.filter((part) => (seen.has(part.pointer) ? false : (seen.add(part.pointer), true)));
}

function memoKey(parts: readonly SchemaPart[], choices: ReadonlyMap<string, number>): string {
  const key = parts.map((part) => part.pointer).sort().join(' & ');
  if (choices.size === 0) return key;
  return `${key} | ${[...choices].map(([group, branch]) => `${group}=${branch}`).sort().join(',')}`;
}

function bitCount(bits: number): number {
  let count = 0;
  for (let rest = bits; rest !== 0; rest &= rest - 1) count++;
  return count;
}

function isVisible(candidate: PropertyCandidate, mask: number): boolean {
  return !candidate.secret && isVisibleTo(candidate.scopeMasks, mask);
}

/** Each visible-to list needs one of its scopes: "any of" within a list, every list when allOf stacks them. */
function isVisibleTo(scopeMasks: readonly number[], mask: number): boolean {
  for (let i = 0; i < scopeMasks.length; i++) if ((scopeMasks[i]! & mask) === 0) return false;
  return true;
}

function toPlan(candidate: PropertyCandidate): PropertyPlan {
  return Object.freeze({ key: candidate.key, filter: candidate.filter!, required: candidate.required, isProtoKey: candidate.key === '__proto__' });
}

function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function copyUndeclared(source: Record<string, unknown>, out: Record<string, unknown>, declared: ReadonlySet<string>): void {
  const keys = Object.keys(source);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    // A declared key was decided above, hidden ones included: `true` must
    // not let a secret back in.
    if (declared.has(key)) continue;
    if (key === '__proto__') defineOwn(out, key, source[key]);
    else out[key] = source[key];
  }
}

function copyExtras(source: Record<string, unknown>, out: Record<string, unknown>, mask: number, declared: ReadonlySet<string>, rules: readonly ExtraRule[]): void {
  const keys = Object.keys(source);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (declared.has(key)) continue;
    let field = source[key];
    if (typeof field === 'object' && field !== null && typeof (field as { toJSON?: unknown }).toJSON === 'function') field = (field as { toJSON: (key: string) => unknown }).toJSON(key);
    if (field === undefined || typeof field === 'function' || typeof field === 'symbol') continue;
    let matched = false;
    let filtered: unknown = field;
    for (let r = 0; r < rules.length && filtered !== INVALID; r++) {
      const rule = rules[r]!;
      // additionalProperties (test null) applies only to keys no pattern matched.
      if (rule.test === null ? matched : !rule.test.test(key)) continue;
      matched = true;
      filtered = rule.secret || (rule.scopeMasks !== null && !isVisibleTo(rule.scopeMasks, mask)) ? INVALID : rule.filter(filtered, mask);
    }
    if (!matched || filtered === INVALID) continue;
    if (key === '__proto__') defineOwn(out, key, filtered);
    else out[key] = filtered;
  }
}

/**
 * The filter that checks a value's JSON type and hands objects and arrays
 * to their filters. Common single-type schemas get a closure of their own
 * so a leaf costs one `typeof`.
 */
function typeDispatch(types: number, objectFilter: ValueFilter | null, arrayFilter: ValueFilter | null): ValueFilter {
  const message = `must be ${describeTypes(types)}`;
  if (objectFilter === null && arrayFilter === null) {
    switch (types) {
      case T_ANY:
        return identity;
      case T_STRING:
        return (value) => (typeof value === 'string' ? value : fail(message));
      case T_STRING | T_NULL:
        return (value) => (typeof value === 'string' || value === null ? value : fail(message));
      case T_NUMBER | T_INTEGER:
        return (value) => (typeof value === 'number' && Number.isFinite(value) ? value : fail(message));
      case T_NUMBER | T_INTEGER | T_NULL:
        return (value) => ((typeof value === 'number' && Number.isFinite(value)) || value === null ? value : fail(message));
      case T_INTEGER:
        return (value) => (Number.isInteger(value) ? value : fail(message));
      case T_BOOLEAN:
        return (value) => (typeof value === 'boolean' ? value : fail(message));
      default:
        break;
    }
  }
  if (objectFilter !== null && (types & ~(T_OBJECT | T_NULL)) === 0) {
    const admitsNull = (types & T_NULL) !== 0;
    return (value, mask) => {
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return objectFilter(value, mask);
      return value === null && admitsNull ? null : fail(message);
    };
  }
  const admitsObject = (types & T_OBJECT) !== 0;
  const admitsArray = (types & T_ARRAY) !== 0;
  const admitsString = (types & T_STRING) !== 0;
  const admitsNumber = (types & T_NUMBER) !== 0;
  const admitsInteger = (types & T_INTEGER) !== 0;
  const admitsBoolean = (types & T_BOOLEAN) !== 0;
  const admitsNull = (types & T_NULL) !== 0;
  return (value, mask) => {
    if (value === null) return admitsNull ? null : fail(message);
    switch (typeof value) {
      case 'object':
        if (Array.isArray(value)) return arrayFilter !== null ? arrayFilter(value, mask) : admitsArray ? value : fail(message);
        return objectFilter !== null ? objectFilter(value, mask) : admitsObject ? value : fail(message);
      case 'string':
        return admitsString ? value : fail(message);
      case 'number':
        return (admitsNumber && Number.isFinite(value)) || (admitsInteger && Number.isInteger(value)) ? value : fail(message);
      case 'boolean':
        return admitsBoolean ? value : fail(message);
      default:
        return fail(message);
    }
  };
}
