import { createReadStream } from 'node:fs';
import { GENESIS_HASH, canonicalJson, hashCanonical } from './canonical-json';

/** What is wrong with one line of a trail. */
export type AuditProblemKind = 'not_json' | 'missing_hash' | 'hash_mismatch' | 'prev_hash_mismatch';

export interface AuditProblem {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly kind: AuditProblemKind;
  /** What it means, in a sentence. */
  readonly message: string;
}

/** The result of checking a trail's hash chain. */
export interface AuditVerification {
  /** True when every line parses, matches its `hash`, and links to the line before it. */
  readonly intact: boolean;
  /** Lines read. */
  readonly lines: number;
  /** Lines skipped as not audit lines (with `skipForeignLines`). */
  readonly skipped: number;
  /** `hash` of the last line, to compare with a copy kept elsewhere (truncation of the end shows only that way). */
  readonly lastHash: string | null;
  /** Chains in the file: 1 for a file trail; more for a trail that restarts (stdout) when `allowSegments` is set. */
  readonly segments: number;
  /** The first broken or missing line, or null. */
  readonly firstProblem: AuditProblem | null;
  /** The first problems found (at most 100), in file order. */
  readonly problems: readonly AuditProblem[];
  /** How many problems there are in all. */
  readonly problemCount: number;
}

export interface VerifyOptions {
  /**
   * Accept a line that starts a new chain (its `prevHash` is the genesis
   * value) after the first line, as a stdout trail captured across restarts
   * has. Default false: such a line is a break, since nothing proves the
   * lines before it are complete.
   */
  readonly allowSegments?: boolean;
  /**
   * Skip lines that are not audit lines (not JSON, or without `hash` and
   * `prevHash`), as when the trail went to stdout along with other output.
   * A torn or stripped audit line still shows: the next line does not link.
   * Default false.
   */
  readonly skipForeignLines?: boolean;
}

const HEX_HASH = /^[0-9a-f]{64}$/;
const MAX_LISTED_PROBLEMS = 100;
// Recent hashes, to say "links to line N" for a reordered line; bounded so
// a huge file verifies in constant memory.
const REMEMBERED_HASHES = 4096;

/** Checks lines one at a time; `push` each line in order, then `result()`. */
export class ChainVerifier {
  readonly #allowSegments: boolean;
  readonly #skipForeignLines: boolean;
  #lineNumber = 0;
  #skipped = 0;
  #expectedPrev: string | null = null;
  #lastHash: string | null = null;
  #segments = 0;
  readonly #problems: AuditProblem[] = [];
  #problemCount = 0;
  readonly #recent = new Map<string, number>();

  constructor(options: VerifyOptions = {}) {
    this.#allowSegments = options.allowSegments === true;
    this.#skipForeignLines = options.skipForeignLines === true;
  }

  push(rawLine: string): void {
    const lineNumber = ++this.#lineNumber;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    let parsed: unknown;
    try {
      parsed = line === '' ? undefined : JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      if (this.#skipForeignLines) {
        this.#skipped++;
        return;
      }
      // The chain resumes at the next line that links to the last good hash:
      // a writer that found a torn last line restarts from exactly there.
      this.#problem(lineNumber, 'not_json', line === '' ? 'empty line (not JSON)' : 'not a JSON object: the line is corrupt or was cut short');
      return;
    }
    const { hash, ...content } = parsed as Record<string, unknown>;
    const prevHash = content.prevHash;
    if (typeof hash !== 'string' || !HEX_HASH.test(hash) || typeof prevHash !== 'string' || !HEX_HASH.test(prevHash)) {
      if (this.#skipForeignLines) {
        this.#skipped++;
        return;
      }
      this.#problem(lineNumber, 'missing_hash', 'no valid "hash" and "prevHash": not a line of this trail, or they were removed');
      return;
    }
    if (hashCanonical(canonicalJson(content)) !== hash) {
      this.#problem(lineNumber, 'hash_mismatch', 'hash mismatch: the content does not match the line\'s hash, so the line was changed');
    } else {
      this.#checkLink(lineNumber, prevHash);
    }
    this.#expectedPrev = hash;
    this.#lastHash = hash;
    if (this.#recent.size >= REMEMBERED_HASHES) this.#recent.delete(this.#recent.keys().next().value!);
    this.#recent.set(hash, lineNumber);
  }

  #checkLink(lineNumber: number, prevHash: string): void {
    if (this.#expectedPrev === null) {
      if (prevHash === GENESIS_HASH) this.#segments++;
      else this.#problem(lineNumber, 'prev_hash_mismatch', 'prevHash mismatch: the first line does not start a chain, so lines before it are missing');
      return;
    }
    if (prevHash === this.#expectedPrev) return;
    if (prevHash === GENESIS_HASH) {
      if (this.#allowSegments) this.#segments++;
      else this.#problem(lineNumber, 'prev_hash_mismatch', 'prevHash mismatch: a new chain starts here, so lines before it may be missing (allow segments for a trail that restarts, such as stdout)');
      return;
    }
    const linked = this.#recent.get(prevHash);
    const previous = lineNumber - 1;
    this.#problem(
      lineNumber,
      'prev_hash_mismatch',
      linked !== undefined
        ? `prevHash mismatch: links to line ${linked} instead of line ${previous}, so lines were reordered or removed`
        : `prevHash mismatch: does not link to line ${previous}, so a line is missing before this one (or lines were reordered)`,
    );
  }

  #problem(line: number, kind: AuditProblemKind, message: string): void {
    this.#problemCount++;
    if (this.#problems.length < MAX_LISTED_PROBLEMS) this.#problems.push({ line, kind, message });
  }

  result(): AuditVerification {
    return {
      intact: this.#problemCount === 0,
      lines: this.#lineNumber,
      skipped: this.#skipped,
      lastHash: this.#lastHash,
      segments: this.#segments,
      firstProblem: this.#problems[0] ?? null,
      problems: [...this.#problems],
      problemCount: this.#problemCount,
    };
  }
}

/**
 * Verifies a trail file, reading it as a stream (constant memory). Core-free,
 * so the command line loads nothing else.
 */
export async function verifyTrailFile(file: string, options: VerifyOptions = {}): Promise<AuditVerification> {
  const verifier = new ChainVerifier(options);
  const stream = createReadStream(file, { encoding: 'utf8' });
  // Surface open errors (ENOENT, EACCES) as a rejection before reading.
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  // Split on \n only (not readline's lone \r), exactly as text is.
  let pending = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop()!;
    for (const line of lines) verifier.push(line);
  }
  if (pending !== '') verifier.push(pending);
  return verifier.result();
}

/** Verifies a trail given as text. */
export function verifyTrailText(text: string, options: VerifyOptions = {}): AuditVerification {
  const verifier = new ChainVerifier(options);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) verifier.push(line);
  return verifier.result();
}
