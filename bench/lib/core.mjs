// Loads @palisade/core from its built ESM output, the file users import.
//
// The workspace root does not depend on @palisade/core, so the package name
// does not resolve from bench/; the harness imports the package's `module`
// entry (packages/core/dist/index.js) by path instead. It never imports
// src/: a benchmark of anything but the published build measures nothing.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const distEntry = fileURLToPath(new URL('../../packages/core/dist/index.js', import.meta.url));

let loaded = null;

/** The module, imported once per run (every suite gets the same build). */
export function loadCore() {
  if (loaded === null) {
    if (!existsSync(distEntry)) {
      return Promise.reject(new Error(`@palisade/core is not built (${distEntry} is missing): run pnpm build first.`));
    }
    loaded = import(pathToFileURL(distEntry).href);
  }
  return loaded;
}

const loadedPackages = new Map();

/**
 * Loads another built Palisade package (`jwt-auth`, `schema-validator`, ...)
 * by path, like `loadCore`. Its own `@palisade/core` import resolves to the
 * same built file, so both share one module instance.
 */
export function loadPalisadePackage(name) {
  if (!loadedPackages.has(name)) {
    const entry = fileURLToPath(new URL(`../../packages/${name}/dist/index.js`, import.meta.url));
    if (!existsSync(entry)) return Promise.reject(new Error(`@palisade/${name} is not built (${entry} is missing): run pnpm build first.`));
    loadedPackages.set(name, import(pathToFileURL(entry).href));
  }
  return loadedPackages.get(name);
}
