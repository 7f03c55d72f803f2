import type { Options } from 'tsup';

/**
 * The one build preset every package uses: ESM + CJS + declarations from
 * `src/index.ts`, the package's only public entry.
 */
export function definePackageBuild(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    ...overrides,
  };
}
