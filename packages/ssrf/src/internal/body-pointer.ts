import { compileJsonPointer, type JsonPointerReader } from '@palisade/core';

/** A JSON pointer (RFC 6901) into a parsed request body, compiled once at start-up. */
export interface BodyPointer {
  readonly pointer: string;
  readonly read: JsonPointerReader;
}

export function compileBodyPointer(pointer: string): BodyPointer {
  return Object.freeze({ pointer, read: compileJsonPointer(pointer) });
}

/** The value at the pointer, or `undefined` when the body has nothing there. Only own properties are followed. */
export function readBodyPointer(body: unknown, pointer: BodyPointer): unknown {
  return pointer.read(body);
}
