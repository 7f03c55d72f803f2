import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Adapters, guard packages and examples may use a package only through its
// public entry. Reaching into `src/` or `internal/` couples them to details
// that can change in any release, and would let a third-party adapter do what
// ours cannot.
const noDeepImports = {
  patterns: [
    {
      group: ['@palisade/*/src', '@palisade/*/src/**', '@palisade/*/internal', '@palisade/*/internal/**', '../../*/src/**', '../../../packages/**', '**/packages/*/src/**'],
      message: 'Import Palisade packages by their public name (@palisade/<name>) only; internals are not API.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', Buffer: 'readonly', structuredClone: 'readonly', performance: 'readonly', fetch: 'readonly', AbortSignal: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', setImmediate: 'readonly', queueMicrotask: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/core/src/**'],
    rules: { 'no-restricted-imports': ['error', noDeepImports] },
  },
  {
    files: ['examples/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', noDeepImports] },
  },
  {
    // Core is the framework-free policy engine: adapters depend on it, never
    // the other way round.
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['express', 'koa', '@nestjs/common', '@nestjs/core'].map((name) => ({
            name,
            message: 'Core imports no framework; put framework code in an adapter package.',
          })),
          patterns: [{ group: ['@palisade/*'], message: 'Core depends on no other Palisade package.' }],
        },
      ],
    },
  },
);
