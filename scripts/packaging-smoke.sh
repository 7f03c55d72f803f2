#!/usr/bin/env bash
# Packs every package and imports the tarballs the way users will: from a
# CommonJS project and from an ESM TypeScript project (module NodeNext).
# Run after `pnpm build`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/tarballs"
for dir in "$root"/packages/*/; do
  (cd "$dir" && pnpm pack --pack-destination "$work/tarballs" >/dev/null)
done
deps=$(cd "$work/tarballs" && for t in *.tgz; do
  name=$(tar -xzOf "$t" package/package.json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).name))')
  printf '"%s": "file:%s",' "$name" "$work/tarballs/$t"
done)
peer='"express": "^5.1.0", "@types/express": "^5.0.3",'

for kind in cjs esm; do
  mkdir -p "$work/$kind"
  type=$([ "$kind" = esm ] && echo module || echo commonjs)
  cat > "$work/$kind/package.json" <<JSON
{ "name": "smoke-$kind", "private": true, "type": "$type", "dependencies": { $deps $peer "typescript": "~5.9.3", "@types/node": "^20.19.0" } }
JSON
  (cd "$work/$kind" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
done

cat > "$work/cjs/index.js" <<'JS'
const core = require('@palisade/core');
const express = require('@palisade/express');
if (typeof core.createPalisade !== 'function' || typeof express.mountPalisade !== 'function') throw new Error('missing exports');
console.log('cjs: ok');
JS
(cd "$work/cjs" && node index.js)

cat > "$work/esm/index.ts" <<'TS'
import { createPalisade, deny, type Guard } from '@palisade/core';
import { mountPalisade } from '@palisade/express';
const guard: Guard = { name: 'noop', stage: 'validation', compile: () => null };
const palisade = await createPalisade({ document: { openapi: '3.1.0', info: { title: 't', version: '1' }, paths: {} }, guards: [guard] });
if (deny('undeclared_route').status !== 404 || typeof mountPalisade !== 'function' || palisade.operations.length !== 0) throw new Error('unexpected');
console.log('esm: ok');
TS
cat > "$work/esm/tsconfig.json" <<'JSON'
{ "compilerOptions": { "module": "NodeNext", "moduleResolution": "NodeNext", "target": "ES2022", "strict": true, "types": ["node"], "outDir": "out" }, "files": ["index.ts"] }
JSON
(cd "$work/esm" && npx tsc -p . && node out/index.js)
