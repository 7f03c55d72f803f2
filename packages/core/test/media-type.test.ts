import { describe, expect, it } from 'vitest';
import { isJsonMediaType, parseContentType } from '@palisade/core';

describe('parseContentType', () => {
  it.each([
    ['application/json', 'application/json', {}],
    ['Application/JSON', 'application/json', {}],
    ['application/json; charset=utf-8', 'application/json', { charset: 'utf-8' }],
    ['application/json;charset="UTF-8"', 'application/json', { charset: 'UTF-8' }],
    ['application/json ; charset=utf-8 ', 'application/json', { charset: 'utf-8' }],
    ['text/plain; format=flowed; charset=utf-8', 'text/plain', { format: 'flowed', charset: 'utf-8' }],
    ['multipart/form-data; boundary="a;b"', 'multipart/form-data', { boundary: 'a;b' }],
  ])('parses %j', (header, mediaType, parameters) => {
    const parsed = parseContentType(header);
    expect(parsed?.mediaType).toBe(mediaType);
    expect(Object.fromEntries(parsed!.parameters)).toEqual(parameters);
  });

  it.each(['', 'json', 'application/', '/json', 'application json', 'application/json; charset', 'application/json; charset=utf-8; charset=latin1', 'application/json; charset="utf-8', 'application/json; a=b c', 'x/y'.padEnd(300, 'z')])('refuses %j', (header) => {
    expect(parseContentType(header)).toBeNull();
  });

  it('knows JSON media types', () => {
    expect(isJsonMediaType('application/json')).toBe(true);
    expect(isJsonMediaType('application/merge-patch+json')).toBe(true);
    expect(isJsonMediaType('text/json')).toBe(false);
    expect(isJsonMediaType('application/jsonx')).toBe(false);
  });
});
