import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The project's reference service is specified in shared/reference beside
// the repository. A fresh clone must stand alone, so the repository keeps a
// byte-identical copy in test/fixtures; where shared/ is present (in CI it
// always is) this test keeps the two in step.
const sharedCopy = fileURLToPath(new URL('../../shared/reference/orders-api.yaml', import.meta.url));
const repositoryCopy = fileURLToPath(new URL('./fixtures/orders-api.yaml', import.meta.url));

describe('test/fixtures/orders-api.yaml', () => {
  it('is the reference document', () => {
    const copy = readFileSync(repositoryCopy, 'utf8');
    expect(copy).toMatch(/^openapi: 3\.1\.0/);
    if (existsSync(sharedCopy)) expect(copy).toBe(readFileSync(sharedCopy, 'utf8'));
  });
});
