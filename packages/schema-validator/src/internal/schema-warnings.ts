import type { OperationPolicy } from '@palisade/core';
import type { DocumentSchemas } from './document-schemas';
import type { PreparedView } from './prepare-document';
import { analyzePattern, isLengthBoundingPattern } from './redos';
import { directChildren, inPlaceChildren, isSchemaObject, type LocatedSchema } from './schema-walk';

/** What a start-up (or first-use) warning is about. */
export type SchemaWarningCode =
  | 'redos_pattern'
  | 'unbounded_string'
  | 'unbounded_array'
  | 'unknown_format'
  | 'missing_schema'
  | 'unvalidated_media_type'
  | 'body_consumed';

/** Something in the document, or in how the validator is used, that weakens a check. */
export interface SchemaWarning {
  readonly code: SchemaWarningCode;
  /** The operation it was found for, or null for the whole document. */
  readonly operationId: string | null;
  /** JSON pointer of the schema (or media type) at fault. */
  readonly pointer: string;
  readonly message: string;
}

export type WarningSink = (warning: SchemaWarning) => void;

// Formats whose valid values have a short, fixed maximum length.
const BOUNDED_FORMATS = new Set(['date', 'time', 'date-time', 'uuid', 'ipv4', 'ipv6', 'int32', 'int64', 'float', 'double']);

/**
 * Reports, for every schema a request of `operation` reaches, patterns that
 * may backtrack catastrophically (unless a linear-time engine runs them),
 * strings without `maxLength` and arrays without `maxItems`. Each schema is
 * reported once, for the first operation that reaches it.
 */
export function scanRequestSchemas(schemas: DocumentSchemas, view: PreparedView, operation: OperationPolicy, checkPatterns: boolean, seen: Set<string>, warn: WarningSink): void {
  const root = schemas.root(view);
  const starts: string[] = [];
  for (const parameter of operation.parameters) {
    if (parameter.schema !== null) starts.push(parameter.schema.pointer);
    for (const media of parameter.content ?? []) if (media.schema !== null) starts.push(media.schema.pointer);
  }
  for (const media of operation.requestBody?.content ?? []) if (media.schema !== null) starts.push(media.schema.pointer);
  const stack: LocatedSchema[] = [];
  for (const pointer of starts) {
    const located = schemas.locate(view, pointer);
    if (located !== null) stack.push(located);
  }
  while (stack.length > 0) {
    const located = stack.pop()!;
    if (seen.has(located.pointer)) continue;
    seen.add(located.pointer);
    if (!isSchemaObject(located.schema)) continue;
    checkSchema(located.schema, located.pointer, operation.operationId, checkPatterns, warn);
    for (const child of inPlaceChildren(root, located)) stack.push(child);
    for (const { child, position } of directChildren(located)) if (position === 'value') stack.push(child);
  }
}

function checkSchema(schema: Record<string, unknown>, pointer: string, operationId: string, checkPatterns: boolean, warn: WarningSink): void {
  const types = typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? (schema.type as string[]) : [];
  const pattern = typeof schema.pattern === 'string' ? schema.pattern : null;
  const isBoundedString =
    schema.maxLength !== undefined ||
    schema.enum !== undefined ||
    schema.const !== undefined ||
    (typeof schema.format === 'string' && BOUNDED_FORMATS.has(schema.format)) ||
    (pattern !== null && isLengthBoundingPattern(pattern));
  if (types.includes('string') && !isBoundedString) {
    warn({
      code: 'unbounded_string',
      operationId,
      pointer,
      message: 'A string in a request schema has no maxLength: only the body size limit bounds it. Add maxLength.',
    });
  }
  if (types.includes('array') && schema.maxItems === undefined && !(Array.isArray(schema.prefixItems) && schema.items === false)) {
    warn({ code: 'unbounded_array', operationId, pointer, message: 'An array in a request schema has no maxItems: only the body size limit bounds it. Add maxItems.' });
  }
  if (!checkPatterns) return;
  if (pattern !== null) {
    const risk = analyzePattern(pattern);
    // A polynomial pattern costs little on a short string; report it only
    // where nothing bounds the string's length.
    if (risk !== null && (risk.severity === 'exponential' || schema.maxLength === undefined)) {
      warn({ code: 'redos_pattern', operationId, pointer: `${pointer}/pattern`, message: patternMessage(pattern, risk.kind, risk.severity) });
    }
  }
  if (isSchemaObject(schema.patternProperties)) {
    for (const key of Object.keys(schema.patternProperties)) {
      const risk = analyzePattern(key);
      if (risk !== null) warn({ code: 'redos_pattern', operationId, pointer: `${pointer}/patternProperties`, message: patternMessage(key, risk.kind, risk.severity) });
    }
  }
}

function patternMessage(pattern: string, kind: string, severity: string): string {
  const shown = pattern.length > 80 ? `${pattern.slice(0, 77)}...` : pattern;
  return `The pattern ${JSON.stringify(shown)} may backtrack ${severity === 'exponential' ? 'exponentially' : 'polynomially'} (${kind.replace(/_/g, ' ')}): a crafted input can keep the event loop busy for seconds. Rewrite it without nested or overlapping repetition, bound the string with maxLength, or run patterns with a linear-time engine (the regExp option).`;
}
