/**
 * Process hooks that get buffered audit lines to disk before the process
 * goes away. One listener per event for the whole process, whatever the
 * number of trails, so many trails (tests) never pile up listeners.
 */

export interface ShutdownParticipant {
  /** Writes buffered lines synchronously; never throws. */
  flushQuietly(): void;
  /** Records an uncaught error in the trail before the process dies of it. */
  recordUncaught(error: unknown, origin: string): void;
}

const flushedAtExit = new Set<ShutdownParticipant>();
const flushedOnSignals = new Set<ShutdownParticipant>();
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

function flushAll(participants: Iterable<ShutdownParticipant>): void {
  for (const participant of participants) participant.flushQuietly();
}

const onExit = (): void => flushAll(flushedAtExit);

function onSignal(signal: NodeJS.Signals): void {
  flushAll(flushedOnSignals);
  // Listening to a signal replaces Node's default (terminate). When ours is
  // the only listener, nobody else will end the process: step aside and
  // send the signal again, so the process ends exactly as it would have.
  // When the application listens too, its handler decides (graceful close).
  if (process.listenerCount(signal) === 1) {
    uninstallSignalHandlers();
    process.kill(process.pid, signal);
  }
}

// `uncaughtExceptionMonitor` observes without handling: the process still
// crashes (or the application's own handler runs) as it would without us.
function onUncaught(error: unknown, origin: string): void {
  for (const participant of flushedOnSignals) participant.recordUncaught(error, origin);
  flushAll(flushedOnSignals);
}

let signalHandlersInstalled = false;

function installSignalHandlers(): void {
  if (signalHandlersInstalled) return;
  signalHandlersInstalled = true;
  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on('uncaughtExceptionMonitor', onUncaught);
}

function uninstallSignalHandlers(): void {
  if (!signalHandlersInstalled) return;
  signalHandlersInstalled = false;
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
  process.removeListener('uncaughtExceptionMonitor', onUncaught);
}

/** Flushes `participant` when the process exits (`process.exit()`, end of the event loop, a crash). */
export function flushAtExit(participant: ShutdownParticipant): void {
  if (flushedAtExit.size === 0) process.on('exit', onExit);
  flushedAtExit.add(participant);
}

/** Also flushes it on SIGTERM/SIGINT and records uncaught exceptions, without changing what they do. */
export function flushOnSignals(participant: ShutdownParticipant): void {
  flushedOnSignals.add(participant);
  installSignalHandlers();
}

/** Undoes both, when the trail closes. */
export function releaseShutdownHooks(participant: ShutdownParticipant): void {
  flushedAtExit.delete(participant);
  flushedOnSignals.delete(participant);
  if (flushedAtExit.size === 0) process.removeListener('exit', onExit);
  if (flushedOnSignals.size === 0) uninstallSignalHandlers();
}
