import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { GENESIS_HASH, canonicalJson, hashCanonical } from './canonical-json';

/** How an existing trail file ends, read when a trail opens it. */
export type ChainTail =
  | { readonly kind: 'empty' }
  | { readonly kind: 'intact'; readonly hash: string }
  | {
      readonly kind: 'broken';
      readonly problem: 'partial_line' | 'not_json' | 'no_hash' | 'hash_mismatch';
      /** `hash` of the nearest earlier line that has one (what a restart links to), else the genesis value. */
      readonly linkHash: string;
      /** SHA-256 of the broken line's bytes, so the restart line pins down what it found. */
      readonly brokenSha256: string;
      readonly endsWithNewline: boolean;
    };

// Lines are bounded (paths and free text are cut, event payloads budgeted),
// far below this; a tail without a line break in it is broken.
const TAIL_BYTES = 256 * 1024;

/** Reads the end of `file` and says whether its last line seals the chain. */
export function readChainTail(file: string): ChainTail {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'empty' };
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { kind: 'empty' };
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, buffer, read, length - read, size - length + read);
      if (n === 0) break;
      read += n;
    }
    return inspectTail(buffer.subarray(0, read), size <= TAIL_BYTES);
  } finally {
    closeSync(fd);
  }
}

/** @internal Exported for tests: the decision on the tail bytes alone. */
export function inspectTail(tail: Buffer, isWholeFile: boolean): ChainTail {
  const endsWithNewline = tail[tail.length - 1] === 0x0a;
  const text = tail.toString('utf8');
  const lines = text.split('\n');
  if (endsWithNewline) lines.pop();
  // The first piece of a partial read may be the end of an earlier line.
  if (!isWholeFile) lines.shift();
  if (lines.length === 0) {
    return { kind: 'broken', problem: 'partial_line', linkHash: GENESIS_HASH, brokenSha256: hashCanonical(text), endsWithNewline };
  }
  const last = lines[lines.length - 1]!;
  const linkHash = () => {
    for (let i = lines.length - 2; i >= 0; i--) {
      const claimed = claimedHash(lines[i]!);
      if (claimed !== null) return claimed;
    }
    return GENESIS_HASH;
  };
  // A restart links where the verifier resumes after a broken line: to the
  // last `hash` a line claims, whether or not that line's content matches it.
  const broken = (problem: 'partial_line' | 'not_json' | 'no_hash' | 'hash_mismatch', claimed?: string): ChainTail => ({
    kind: 'broken',
    problem,
    linkHash: claimed ?? linkHash(),
    brokenSha256: hashCanonical(last),
    endsWithNewline,
  });
  if (!endsWithNewline) return broken('partial_line');
  let parsed: unknown;
  try {
    parsed = JSON.parse(last);
  } catch {
    return broken('not_json');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return broken('not_json');
  const { hash, ...content } = parsed as Record<string, unknown>;
  if (typeof hash !== 'string' || typeof content.prevHash !== 'string') return broken('no_hash');
  if (hashCanonical(canonicalJson(content)) !== hash) return broken('hash_mismatch', hash);
  return { kind: 'intact', hash };
}

function claimedHash(line: string): string | null {
  try {
    const parsed = JSON.parse(line) as { hash?: unknown } | null;
    return parsed !== null && typeof parsed === 'object' && typeof parsed.hash === 'string' ? parsed.hash : null;
  } catch {
    return null;
  }
}
