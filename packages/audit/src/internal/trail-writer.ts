import { fsyncSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { PalisadeConfigError } from '@palisade/core';
import { destination as pinoDestination } from 'pino';
import { GENESIS_HASH, canonicalJson, sealLine } from './canonical-json';
import { readChainTail, type ChainTail } from './chain-tail';
import { AuditTrailError } from './errors';

type Destination = ReturnType<typeof pinoDestination>;

export interface TrailWriterSettings {
  /** An absolute or relative file path, or `'stdout'`. */
  readonly destination: string;
  /** Bytes buffered before a write; 0 writes every line at once. */
  readonly bufferBytes: number;
  /** Buffered lines are written at least this often (ms). */
  readonly flushIntervalMs: number;
  readonly ifLastLineBroken: 'restart' | 'refuse';
  /** A write failed (disk full, permissions changed). Called at most once a minute. */
  readonly onWriteError: (error: Error) => void;
}

// Two writers appending to one file would interleave two chains, and the
// file would never verify again.
const filesInUse = new Set<string>();

const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/**
 * Appends hash-chained lines to a pino destination (sonic-boom).
 *
 * Writes are synchronous but batched: lines collect in a string, which is
 * handed to the destination (one `write(2)`) once it holds about
 * `bufferBytes`, and at least every `flushIntervalMs`. So `flushSync()` is
 * exact: nothing is ever in flight on the thread pool. (With
 * `sync: false`, a flush at shutdown can overtake a write already in
 * flight, which reorders lines on disk and breaks the chain, or lose that
 * write when the process exits.) The batch is ours rather than
 * sonic-boom's `minLength` because sonic-boom measures its whole buffer on
 * every write.
 */
export class TrailWriter {
  readonly file: string | null;
  readonly #stream: Destination;
  readonly #settings: TrailWriterSettings;
  #prevHash: string;
  #closed: Promise<void> | null = null;
  #lastErrorReport = Number.NEGATIVE_INFINITY;
  #pending = '';
  readonly #timer: NodeJS.Timeout | null;

  constructor(settings: TrailWriterSettings) {
    this.#settings = settings;
    const toStdout = settings.destination === 'stdout';
    this.file = toStdout ? null : resolve(settings.destination);
    if (this.file !== null && filesInUse.has(this.file)) {
      throw new PalisadeConfigError('ERR_PALISADE_MISUSE', `createAuditTrail: another audit trail in this process already writes to ${this.file}; two chains in one file never verify.`, {
        path: 'destination',
        received: settings.destination,
        fix: 'Create one audit trail per file and share it (its `record` takes events from any package).',
      });
    }
    const tail: ChainTail = this.file === null ? { kind: 'empty' } : readTail(this.file);
    if (tail.kind === 'broken' && settings.ifLastLineBroken === 'refuse') {
      throw new AuditTrailError('ERR_PALISADE_AUDIT_TRAIL_BROKEN', `createAuditTrail: the last line of ${this.file} is broken (${tail.problem.replace('_', ' ')}), so the chain cannot continue from it. Check the file with \`palisade audit verify ${this.file}\`, keep a copy as evidence, then start a new file, or set ifLastLineBroken: 'restart' to continue with a chain_restart line.`, this.file);
    }
    try {
      this.#stream = pinoDestination({
        dest: toStdout ? 1 : this.file!,
        sync: true,
        append: true,
        mkdir: true,
        minLength: 0,
        // While writes fail (a full disk), lines queue up to this much, then
        // are dropped (and the chain shows the gap) rather than take the
        // process's memory.
        maxLength: MAX_QUEUED_BYTES,
      });
    } catch (error) {
      throw new AuditTrailError('ERR_PALISADE_AUDIT_DESTINATION', `createAuditTrail: cannot open ${this.file ?? 'stdout'} for appending: ${(error as Error).message}`, this.file, error);
    }
    this.#stream.on('error', (error: Error) => this.#reportError(error));
    this.#stream.on('drop', () => this.#reportError(new Error(`more than ${MAX_QUEUED_BYTES} bytes of lines could not be written; dropping lines`)));
    if (this.file !== null) filesInUse.add(this.file);
    this.#timer = settings.bufferBytes === 0 ? null : setInterval(() => this.#drain(), settings.flushIntervalMs);
    this.#timer?.unref();

    const opened = { hostname: hostname(), pid: process.pid, time: new Date().toISOString() };
    switch (tail.kind) {
      case 'empty':
        this.#prevHash = GENESIS_HASH;
        this.appendRecord({ event: 'chain_start', ...opened });
        break;
      case 'intact':
        this.#prevHash = tail.hash;
        this.appendRecord({ event: 'chain_resume', ...opened });
        break;
      default:
        // A torn last line (a crash mid-write) gets its line break, so the
        // restart line is a line of its own; the verifier still reports it.
        if (!tail.endsWithNewline) this.#pending = '\n';
        this.#prevHash = tail.linkHash;
        this.appendRecord({ event: 'chain_restart', broken: tail.problem, brokenLineSha256: tail.brokenSha256, ...opened });
    }
  }

  /** `hash` of the last line written: keep a copy elsewhere to detect truncation of the file's end. */
  get lastHash(): string {
    return this.#prevHash;
  }

  get isClosed(): boolean {
    return this.#closed !== null;
  }

  /**
   * Appends a line given as canonical JSON split around `prevHash`:
   * `before` ends just before the `"prevHash"` member (`{...,` or `{`),
   * `after` starts right after it (`,...}` or `}`). The caller keeps keys
   * sorted; this way the line is serialised once.
   */
  appendParts(before: string, after: string): void {
    if (this.#closed !== null) return;
    const sealed = sealLine(`${before}"prevHash":"${this.#prevHash}"${after}`);
    this.#prevHash = sealed.hash;
    this.#write(sealed.line);
  }

  /** Appends any JSON-safe record (security events, alerts); `prevHash` and `hash` are added. */
  appendRecord(record: Record<string, unknown>): void {
    if (this.#closed !== null) return;
    const sealed = sealLine(canonicalJson({ ...record, prevHash: this.#prevHash }));
    this.#prevHash = sealed.hash;
    this.#write(sealed.line);
  }

  #write(line: string): void {
    this.#pending += line;
    if (this.#pending.length >= this.#settings.bufferBytes) this.#drain();
  }

  #drain(): void {
    if (this.#pending === '') return;
    const batch = this.#pending;
    this.#pending = '';
    try {
      this.#stream.write(batch);
    } catch (error) {
      this.#reportError(error as Error);
    }
  }

  /**
   * Writes every collected line now, and fsyncs. Synchronous.
   *
   * Not sonic-boom's `flushSync()`: on an error other than EAGAIN (a full
   * disk) it retries every 100 ms forever, which would hang a shutdown. In
   * sync mode a `write` is one attempt, and a failed batch stays queued in
   * order for the next one.
   */
  flushSync(): void {
    if (this.#closed !== null) return;
    this.#drain();
    const fd = (this.#stream as unknown as { fd: number }).fd;
    if (this.file !== null && fd >= 0) {
      try {
        fsyncSync(fd);
      } catch {
        // Best effort: the lines are with the kernel either way.
      }
    }
  }

  flushQuietly(): void {
    try {
      this.flushSync();
    } catch (error) {
      this.#reportError(error as Error);
    }
  }

  /** Flushes synchronously, then closes the file. Idempotent. */
  close(): Promise<void> {
    if (this.#closed !== null) return this.#closed;
    this.flushQuietly();
    if (this.#timer !== null) clearInterval(this.#timer);
    const stream = this.#stream;
    this.#closed = new Promise<void>((done) => {
      stream.once('close', () => done());
      stream.once('error', () => done());
      try {
        stream.end();
      } catch {
        done();
      }
    });
    if (this.file !== null) filesInUse.delete(this.file);
    return this.#closed;
  }

  #reportError(error: Error): void {
    const now = Date.now();
    if (now - this.#lastErrorReport < 60_000) return;
    this.#lastErrorReport = now;
    try {
      this.#settings.onWriteError(error);
    } catch {
      // Reporting must not turn a failed write into a failed request.
    }
  }
}

function readTail(file: string): ChainTail {
  try {
    return readChainTail(file);
  } catch (error) {
    throw new AuditTrailError('ERR_PALISADE_AUDIT_DESTINATION', `createAuditTrail: cannot read ${file} to continue its chain: ${(error as Error).message}`, file, error);
  }
}
