// Run as a child process by the compile suite: the first createPalisade of
// a fresh process, which also pays for compiling the OpenAPI-schema
// validator and for V8 seeing the code for the first time. Prints
// `{ importNs, firstNs }` as JSON.
import { generateDocument } from './generate-document.mjs';

const { document } = generateDocument(Number(process.argv[2] ?? 1000));
const t0 = process.hrtime.bigint();
const { loadCore } = await import('./core.mjs');
const core = await loadCore();
const t1 = process.hrtime.bigint();
await core.createPalisade({ document });
const t2 = process.hrtime.bigint();
process.stdout.write(JSON.stringify({ importNs: Number(t1 - t0), firstNs: Number(t2 - t1) }));
