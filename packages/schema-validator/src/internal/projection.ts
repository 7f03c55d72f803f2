import { escapeToken, inPlaceFacets, isSchemaObject, type LocatedSchema } from './schema-walk';

/** Returns `value` with every property its schema does not declare removed. */
export type Projector = (value: unknown) => unknown;

/**
 * What one position of a document may hold, merged over every schema that
 * applies there in place (`$ref`, `allOf`, `anyOf`, `oneOf`, `if`/`then`/
 * `else`): the union of what any of them declares.
 */
class ProjectionNode {
  /** False when no schema here says anything about object members: keep objects as they are. */
  isObjectShaped = false;
  readonly properties = new Map<string, ProjectionNode>();
  readonly patterns: [RegExp, ProjectionNode][] = [];
  /** Members matched by no property or pattern: a schema (`additionalProperties: {...}`), kept as they are (`true`), or dropped. */
  additional: ProjectionNode | 'keep' | 'drop' = 'drop';
  isArrayShaped = false;
  prefixItems: ProjectionNode[] = [];
  items: ProjectionNode | null = null;

  /** Declared properties with their nodes (null: keep the value as is), set by `finalize`. */
  declared: [string, ProjectionNode | null][] = [];
  /** True when members other than the declared ones can be kept. */
  isOpen = false;

  /** True when this node changes nothing: the value is handed on as is. */
  get isPassThrough(): boolean {
    return !this.isObjectShaped && !this.isArrayShaped;
  }

  finalize(): void {
    this.declared = [...this.properties].map(([name, node]) => [name, node.isPassThrough ? null : node]);
    this.isOpen = this.patterns.length > 0 || this.additional !== 'drop';
  }

  project(value: unknown, depth: number): unknown {
    // The data comes from the strict parser, which bounds depth already;
    // this guards against a caller passing something else.
    if (depth > 1000) return value;
    if (Array.isArray(value)) {
      if (!this.isArrayShaped) return value;
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) {
        const node = i < this.prefixItems.length ? this.prefixItems[i]! : this.items;
        out[i] = node === null ? value[i] : node.project(value[i], depth + 1);
      }
      return out;
    }
    if (value === null || typeof value !== 'object' || !this.isObjectShaped) return value;
    const input = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    if (!this.isOpen) {
      // The common case: only declared names survive, so only they are looked up.
      const declared = this.declared;
      for (let i = 0; i < declared.length; i++) {
        const [name, node] = declared[i]!;
        if (!Object.prototype.hasOwnProperty.call(input, name)) continue;
        // `name` comes from the document; a schema declaring `__proto__`
        // gets an own property, never a new prototype.
        if (name === '__proto__') continue;
        out[name] = node === null ? input[name] : node.project(input[name], depth + 1);
      }
      return out;
    }
    for (const key of Object.keys(input)) {
      // Never assigned: it would set the prototype instead of adding a key.
      if (key === '__proto__') continue;
      let node = this.properties.get(key) ?? null;
      let keep = node !== null;
      if (!keep) {
        for (const [pattern, patternNode] of this.patterns) {
          if (pattern.test(key)) {
            node = patternNode;
            keep = true;
            break;
          }
        }
      }
      if (!keep && this.additional !== 'drop') {
        keep = true;
        node = this.additional === 'keep' ? null : this.additional;
      }
      if (keep) out[key] = node === null || node.isPassThrough ? input[key] : node.project(input[key], depth + 1);
    }
    return out;
  }
}

/**
 * Compiles, once, a projector for the schema at `located`: it keeps the
 * members that some applicable schema declares (`properties`,
 * `patternProperties`, or an explicit `additionalProperties` /
 * `unevaluatedProperties` that is not `false`) and drops the rest,
 * recursively. A schema that says nothing about members (`type: object`
 * alone, `{}`) keeps the object as it is.
 */
export function compileProjector(root: unknown, located: LocatedSchema): Projector {
  const memo = new Map<string, ProjectionNode>();
  const build = (positions: readonly LocatedSchema[]): ProjectionNode => {
    const facets = positions.flatMap((position) => inPlaceFacets(root, position));
    const key = facets
      .map((facet) => facet.pointer)
      .sort()
      .join('\u0000');
    const known = memo.get(key);
    if (known !== undefined) return known;
    const node = new ProjectionNode();
    memo.set(key, node);
    const properties = new Map<string, LocatedSchema[]>();
    const patterns = new Map<string, LocatedSchema[]>();
    const additional: LocatedSchema[] = [];
    const items: LocatedSchema[] = [];
    const prefixItems: LocatedSchema[][] = [];
    let keepAdditional = false;
    for (const { schema, pointer } of facets) {
      if (!isSchemaObject(schema)) continue;
      if (isSchemaObject(schema.properties)) {
        node.isObjectShaped = true;
        for (const name of Object.keys(schema.properties)) {
          const list = properties.get(name) ?? [];
          list.push({ schema: schema.properties[name], pointer: `${pointer}/properties/${escapeToken(name)}` });
          properties.set(name, list);
        }
      }
      if (isSchemaObject(schema.patternProperties)) {
        node.isObjectShaped = true;
        for (const source of Object.keys(schema.patternProperties)) {
          const list = patterns.get(source) ?? [];
          list.push({ schema: schema.patternProperties[source], pointer: `${pointer}/patternProperties/${escapeToken(source)}` });
          patterns.set(source, list);
        }
      }
      for (const keyword of ['additionalProperties', 'unevaluatedProperties'] as const) {
        const rule = schema[keyword];
        if (rule === undefined) continue;
        node.isObjectShaped = true;
        if (rule === true || (isSchemaObject(rule) && Object.keys(rule).length === 0)) keepAdditional = true;
        else if (isSchemaObject(rule)) additional.push({ schema: rule, pointer: `${pointer}/${keyword}` });
      }
      if (isSchemaObject(schema.items)) {
        node.isArrayShaped = true;
        items.push({ schema: schema.items, pointer: `${pointer}/items` });
      }
      if (Array.isArray(schema.prefixItems)) {
        node.isArrayShaped = true;
        schema.prefixItems.forEach((item, index) => (prefixItems[index] ??= []).push({ schema: item, pointer: `${pointer}/prefixItems/${index}` }));
      }
    }
    for (const [name, list] of properties) node.properties.set(name, build(list));
    for (const [source, list] of patterns) node.patterns.push([new RegExp(source, 'u'), build(list)]);
    node.additional = keepAdditional ? 'keep' : additional.length > 0 ? build(additional) : 'drop';
    node.items = items.length > 0 ? build(items) : null;
    node.prefixItems = prefixItems.map((list) => build(list ?? []));
    return node;
  };
  const top = build([located]);
  for (const node of memo.values()) node.finalize();
  return (value) => top.project(value, 0);
}
