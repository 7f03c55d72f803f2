import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyAuditTrail } from '@palisade/audit';
import { describe, expect, it, vi } from 'vitest';
import { readLines, tempDir } from './support/harness';

describe('README', () => {
  it('runs the "Use" snippet as written (with the trail in a temporary directory)', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const snippet = /## Use\n\n```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    const dir = tempDir();
    const file = join(dir, 'audit.log');
    const module = join(dir, 'snippet.ts');
    writeFileSync(module, snippet.replaceAll("'./audit.log'", JSON.stringify(file)));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await import(/* @vite-ignore */ module);
      expect(log).toHaveBeenCalledWith(expect.objectContaining({ intact: true, lines: 3 }));
    } finally {
      log.mockRestore();
    }
    expect((await verifyAuditTrail(file)).intact).toBe(true);
    const lines = readLines(file);
    expect(lines[1]).toMatchObject({ event: 'request', path: '/health', operationId: 'health' });
    expect(readFileSync(file, 'utf8')).not.toContain('eyJ');
    expect(lines[2]).toMatchObject({ type: 'config_reloaded', data: { by: 'ops', password: '[REDACTED]' } });
  });
});
