import { PalisadeConfigError, createOptionsValidator, parseDuration, type Guard, type GuardHooks, type OperationPolicy, type RequestContext, type CompletedRequest, type CompiledDocument } from '@palisade/core';
import { createRateLimitStore, type RateLimitStore } from '@palisade/rate-limit';
import { AnomalyDetector, type AnomalySettings, type AuditAlert } from './internal/anomaly-detector';
import { describeError, sanitizePayload, stripUnsafeCharacters, truncate, type PayloadLimits } from './internal/redact';
import { compileRequestLine } from './internal/request-line';
import { collectSecretNames } from './internal/secret-names';
import { flushAtExit, flushOnSignals, releaseShutdownHooks, type ShutdownParticipant } from './internal/shutdown-flush';
import { TrailWriter } from './internal/trail-writer';

type Duration = number | string;

/** Thresholds of the anomaly detectors. Every field has a default. */
export interface AnomalyOptions {
  /** ID enumeration (OWASP API1): ownership denials (`not_found_or_not_owner`) of one subject. Alert `bola_enumeration`, then `subject_blocked`. */
  readonly enumeration?: {
    /** Denials that raise the alert. Default 10. */
    readonly threshold?: number;
    /** Default `'1m'`. */
    readonly window?: Duration;
    /** How long the subject is then refused with 429 `subject_blocked`. Default `'5m'`. */
    readonly block?: Duration;
  };
  /** Token replay: one `jti` used from more than `maxAddresses` client addresses (IPv6 per /64). Alert `token_replay_suspected`. */
  readonly tokenReplay?: {
    /** Default 3: the alert comes with the 4th address. */
    readonly maxAddresses?: number;
    /** Default `'5m'`. */
    readonly window?: Duration;
  };
  /** Failed credentials (`token_*` but `token_missing`, and `bad_credentials`) from one address. Alert `auth_failure_burst`. */
  readonly authFailures?: {
    /** Default 20. */
    readonly threshold?: number;
    /** Default `'1m'`. */
    readonly window?: Duration;
  };
}

export interface AuditTrailOptions {
  /** A file to append to (created with its directories), or `'stdout'`. Default `'stdout'`. Use one file per process. */
  readonly destination?: string;
  /**
   * Where anomaly detection counts: the `RateLimitStore` of
   * `@palisade/rate-limit`, best the one your rate limiter uses, so that
   * with Redis every instance's requests add up (and a block holds on every
   * instance). Default: a store in process memory, which warns once under
   * `NODE_ENV=production`.
   */
  readonly store?: RateLimitStore;
  /** Detector thresholds; see `AnomalyOptions` for the defaults. */
  readonly anomalies?: AnomalyOptions;
  /** Turns ID-enumeration blocking and every alert off. Leave it out unless another system does this job. */
  readonly dangerouslyDisableAnomalyDetection?: true;
  /** Called for each alert, after its line is written (a webhook, a pager). What it throws or rejects with is recorded and ignored. */
  readonly onAlert?: (alert: AuditAlert) => void | Promise<void>;
  /**
   * Flush buffered lines on SIGTERM/SIGINT and record uncaught exceptions
   * before the process dies, without changing what those do: when nothing
   * else listens to the signal, the process still ends. Default true.
   * Lines are always flushed on `process.exit()` and by `close()`.
   */
  readonly handleSignals?: boolean;
  /**
   * What to do when the file's last line is broken (a crash cut it, or it
   * was edited): `'restart'` continues with a `chain_restart` line that
   * records what was found (the verifier still reports the broken line);
   * `'refuse'` throws. Default `'restart'`.
   */
  readonly ifLastLineBroken?: 'restart' | 'refuse';
  /** About how many bytes of lines collect before they are written (0: write each line at once). Default 16384: about 50 lines a write(2); lines never wait longer than `flushInterval`. */
  readonly bufferBytes?: number;
  /** Buffered lines are written at least this often. Default `'1s'`. */
  readonly flushInterval?: Duration;
  /** Longest `detail` (a denial's private detail) and `error`, in characters. Default 512. */
  readonly maxDetailLength?: number;
}

/** A security event for the trail: key refreshes, store outages, configuration changes. `type` names it; other fields are its data. */
export interface SecurityEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** The audit guard, with the trail's own operations. */
export interface AuditTrail extends Guard {
  /**
   * Writes a security event line (`event: "security"`, `type`, `data`).
   * Pass it as the `onEvent` of other packages (`createJwtAuthentication`,
   * the rate-limit store). Secret-named fields are redacted, text scrubbed
   * of tokens, the size bounded. Never throws.
   */
  record(event: SecurityEvent): void;
  /** Writes buffered lines now and fsyncs the file. Synchronous. */
  flush(): void;
  /** Waits (up to 2 s) for anomaly counts in progress, flushes synchronously, closes the file. Idempotent. */
  close(): Promise<void>;
  /** Resolves once the anomaly counts started so far have finished (tests, orderly shutdowns). */
  whenIdle(): Promise<void>;
  /** `hash` of the last line written. Keep a copy elsewhere now and then: only that shows a file cut short at its end. */
  readonly lastHash: string;
}

const duration = { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'string', minLength: 2 }] };
const positiveInteger = { type: 'integer', minimum: 1, maximum: 1_000_000 };
const assertOptions: (options: unknown) => asserts options is AuditTrailOptions = createOptionsValidator<AuditTrailOptions>('createAuditTrail', {
  type: 'object',
  additionalProperties: false,
  properties: {
    destination: { type: 'string', minLength: 1 },
    store: { type: 'object', jsType: 'object' },
    anomalies: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enumeration: { type: 'object', additionalProperties: false, properties: { threshold: positiveInteger, window: duration, block: duration } },
        tokenReplay: { type: 'object', additionalProperties: false, properties: { maxAddresses: positiveInteger, window: duration } },
        authFailures: { type: 'object', additionalProperties: false, properties: { threshold: positiveInteger, window: duration } },
      },
    },
    dangerouslyDisableAnomalyDetection: { const: true },
    onAlert: { jsType: 'function' },
    handleSignals: { type: 'boolean' },
    ifLastLineBroken: { enum: ['restart', 'refuse'] },
    bufferBytes: { type: 'integer', minimum: 0, maximum: 1_048_576 },
    flushInterval: duration,
    maxDetailLength: { type: 'integer', minimum: 32, maximum: 8192 },
  },
});

const MAX_PATH_LENGTH = 512;
const CLOSE_WAIT_MS = 2000;
const STORE_ERROR_REPORT_MS = 60_000;

/**
 * The audit trail: one tamper-evident JSON line per request (matched or
 * not), security events and anomaly alerts, appended through a pino
 * destination. Each line carries `prevHash` (the previous line's `hash`)
 * and `hash` (SHA-256, hex, of the line's canonical JSON without `hash`);
 * `palisade audit verify <file>` checks the chain. Reopening a file
 * continues its chain.
 *
 * It is a guard at stage `rate-limit`: after authentication, it refuses
 * subjects blocked for ID enumeration (429 `subject_blocked`); after each
 * response, it writes the line and counts anomalies in the shared store.
 *
 * @example
 * ```ts
 * const store = createRateLimitStore();
 * const audit = createAuditTrail({ destination: process.env.AUDIT_LOG ?? 'stdout', store, onAlert: (alert) => pager.send(alert) });
 * const auth = createJwtAuthentication({ issuers: [...], onEvent: audit.record });
 * await mountPalisade(app, { document: './openapi.yaml', guards: [auth, audit] });
 * ```
 * @throws PalisadeConfigError for invalid options; AuditTrailError when the file cannot be opened or read, or its last line is broken and `ifLastLineBroken` is `'refuse'`.
 */
export function createAuditTrail(options: AuditTrailOptions = {}): AuditTrail {
  checkMisuse(options);
  assertOptions(options);
  const detectionDisabled = options.dangerouslyDisableAnomalyDetection === true;
  if (detectionDisabled && (options.store !== undefined || options.anomalies !== undefined)) {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', `createAuditTrail received invalid options:\n  - dangerouslyDisableAnomalyDetection: conflicts with ${options.anomalies !== undefined ? 'anomalies' : 'store'}. Remove one of the two.`, {
      path: 'dangerouslyDisableAnomalyDetection',
      fix: `Remove ${options.anomalies !== undefined ? 'anomalies' : 'store'}, or remove dangerouslyDisableAnomalyDetection.`,
    });
  }
  if (!detectionDisabled && options.store !== undefined) checkStore(options.store);
  const anomalySettings = detectionDisabled ? null : normaliseAnomalies(options.anomalies ?? {});
  const maxDetailLength = options.maxDetailLength ?? 512;
  const onAlert = options.onAlert ?? null;
  const secretNames = new Set<string>();
  const payloadLimits: PayloadLimits = { secretNames, maxString: maxDetailLength, maxDepth: 6, maxNodes: 200 };
  const documentsSeen = new WeakSet<CompiledDocument>();

  // Counters first: a store that refuses them (a keyPrefix taken with other
  // settings) fails before the file is opened.
  const ownStore = anomalySettings === null || options.store !== undefined ? null : createRateLimitStore({ onWarning: warnAboutMemoryStore });
  const detector = anomalySettings === null ? null : new AnomalyDetector(options.store ?? ownStore!, anomalySettings, raise, onStoreError);

  const writer = new TrailWriter({
    destination: options.destination ?? 'stdout',
    bufferBytes: options.bufferBytes ?? 16_384,
    flushIntervalMs: options.flushInterval === undefined ? 1000 : parseDuration(options.flushInterval, 'flushInterval'),
    ifLastLineBroken: options.ifLastLineBroken ?? 'restart',
    onWriteError: (error) => {
      process.emitWarning(`@palisade/audit cannot write the audit trail: ${error.message}`, { code: 'PALISADE_AUDIT_WRITE_FAILED' });
      notify(alertWithoutRequest('audit_write_failed', `cannot write the audit trail: ${error.message}`));
    },
  });

  function record(event: SecurityEvent): void {
    try {
      const given = event !== null && typeof event === 'object' ? event : { type: 'invalid_event', value: event };
      // Sanitised first: it reads every field defensively (getters may throw).
      const data = sanitizePayload(given, payloadLimits) as Record<string, unknown>;
      const type = typeof data.type === 'string' && data.type !== '' ? truncate(data.type, 64) : 'unnamed_event';
      delete data.type;
      writer.appendRecord({ event: 'security', type, data, time: new Date().toISOString() });
    } catch {
      // record() is called from other packages' callbacks: it must not throw into them.
    }
  }

  function raise(alert: AuditAlert): void {
    writer.appendRecord({ event: 'alert', ...cleanAlert(alert) });
    notify(alert);
  }

  function notify(alert: AuditAlert): void {
    if (onAlert === null) return;
    const failed = (error: unknown) => {
      if (alert.alert !== 'audit_write_failed') record({ type: 'alert_callback_failed', alert: alert.alert, error: describeError(error, maxDetailLength) });
    };
    try {
      const result = onAlert(Object.freeze({ ...alert }));
      if (result !== null && typeof result === 'object' && typeof (result as Promise<void>).then === 'function') (result as Promise<void>).then(undefined, failed);
    } catch (error) {
      failed(error);
    }
  }

  let lastStoreErrorReport = Number.NEGATIVE_INFINITY;
  function onStoreError(error: unknown): void {
    const now = Date.now();
    if (now - lastStoreErrorReport < STORE_ERROR_REPORT_MS) return;
    lastStoreErrorReport = now;
    record({ type: 'anomaly_store_error', error: describeError(error, maxDetailLength) });
  }

  const participant: ShutdownParticipant = {
    flushQuietly: () => writer.flushQuietly(),
    recordUncaught: (error, origin) => record({ type: 'uncaught_exception', origin, error: describeError(error, maxDetailLength) }),
  };
  flushAtExit(participant);
  if (options.handleSignals !== false) flushOnSignals(participant);

  function compile(operation: OperationPolicy | null, context: { readonly compiled: CompiledDocument }): GuardHooks {
    if (!documentsSeen.has(context.compiled)) {
      documentsSeen.add(context.compiled);
      for (const name of collectSecretNames(context.compiled)) secretNames.add(name);
    }
    const buildLine = compileRequestLine(operation, { maxPathLength: MAX_PATH_LENGTH, maxDetailLength });
    const onComplete = (ctx: RequestContext, completed: CompletedRequest): void => {
      const { before, after } = buildLine(ctx, completed);
      writer.appendParts(before, after);
      if (detector !== null) detector.observe(ctx);
    };
    // Unmatched and public operations have no authenticated subject to block.
    if (detector === null || operation === null || operation.isPublic) return Object.freeze({ onComplete });
    return Object.freeze({ onRequest: (ctx: RequestContext) => detector.checkBlock(ctx), onComplete });
  }

  let closing: Promise<void> | null = null;
  function close(): Promise<void> {
    if (closing !== null) return closing;
    writer.flushQuietly();
    closing = (async () => {
      // Alerts raised by counts still in progress belong in this trail.
      if (detector !== null) await settleWithin(detector.whenIdle(), CLOSE_WAIT_MS);
      releaseShutdownHooks(participant);
      await writer.close();
      await ownStore?.close();
    })();
    return closing;
  }

  return Object.freeze({
    name: 'audit',
    stage: 'rate-limit' as const,
    compile,
    close,
    record,
    flush: () => writer.flushSync(),
    whenIdle: () => (detector === null ? Promise.resolve() : detector.whenIdle()),
    get lastHash() {
      return writer.lastHash;
    },
  });
}

function checkMisuse(options: unknown): void {
  if (typeof options === 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', 'createAuditTrail received a function; pass an options object: createAuditTrail({ destination: "audit.log", store }).', { path: '(options)' });
  }
  if (typeof options === 'string') {
    throw new PalisadeConfigError('ERR_PALISADE_MISUSE', `createAuditTrail received a string; pass an options object: createAuditTrail({ destination: ${JSON.stringify(options)}, store }).`, { path: '(options)', received: options });
  }
}

// The default store says so once, when its first counter is made, under
// NODE_ENV=production; the fix is this package's option, not the limiter's.
function warnAboutMemoryStore(): void {
  process.emitWarning(
    '@palisade/audit counts anomalies in process memory while NODE_ENV=production: with several instances, ID enumeration, token replay and failure bursts spread across them go unseen, and a block holds on one instance only. Pass the shared store: createAuditTrail({ store: createRateLimitStore({ redis }) }).',
    { code: 'PALISADE_AUDIT_MEMORY_STORE' },
  );
}

function checkStore(store: unknown): void {
  if (typeof (store as { counter?: unknown }).counter !== 'function') {
    throw new PalisadeConfigError('ERR_PALISADE_INVALID_OPTIONS', 'createAuditTrail received invalid options:\n  - store: is not a RateLimitStore (an object with counter(options)). Pass the store itself, e.g. store: createRateLimitStore().', {
      path: 'store',
      received: store,
      fix: 'Pass the result of createRateLimitStore() from @palisade/rate-limit.',
    });
  }
}

function normaliseAnomalies(options: AnomalyOptions): AnomalySettings {
  const ms = (value: Duration | undefined, fallback: number, path: string) => (value === undefined ? fallback : parseDuration(value, `anomalies.${path}`));
  return Object.freeze({
    enumeration: Object.freeze({
      threshold: options.enumeration?.threshold ?? 10,
      windowMs: ms(options.enumeration?.window, 60_000, 'enumeration.window'),
      blockMs: ms(options.enumeration?.block, 300_000, 'enumeration.block'),
    }),
    tokenReplay: Object.freeze({
      maxAddresses: options.tokenReplay?.maxAddresses ?? 3,
      windowMs: ms(options.tokenReplay?.window, 300_000, 'tokenReplay.window'),
    }),
    authFailures: Object.freeze({
      threshold: options.authFailures?.threshold ?? 20,
      windowMs: ms(options.authFailures?.window, 60_000, 'authFailures.window'),
    }),
  });
}

// Alert fields come from tokens and requests; the line gets them cleaned.
function cleanAlert(alert: AuditAlert): Record<string, unknown> {
  const clean = (value: string | null) => (value === null ? null : truncate(stripUnsafeCharacters(value), 256));
  return {
    ...alert,
    sub: clean(alert.sub),
    clientId: clean(alert.clientId),
    ip: clean(alert.ip),
    jti: clean(alert.jti),
    requestId: clean(alert.requestId),
    operationId: clean(alert.operationId),
    detail: clean(alert.detail),
  };
}

function alertWithoutRequest(code: AuditAlert['alert'], detail: string): AuditAlert {
  return { alert: code, time: new Date().toISOString(), sub: null, clientId: null, ip: null, jti: null, requestId: null, operationId: null, count: null, windowMs: null, blockMs: null, detail };
}

async function settleWithin(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
