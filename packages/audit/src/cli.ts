#!/usr/bin/env node
// The `palisade` command. Only `audit verify` for now: see run-cli.ts.
import { runCli } from './internal/run-cli';

runCli(process.argv.slice(2), (text) => process.stdout.write(`${text}\n`), (text) => process.stderr.write(`${text}\n`)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`palisade: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 2;
  },
);
