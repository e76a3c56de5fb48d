import type { Logger } from '../log/logger.js';

export type StopSignal = 'SIGTERM' | 'SIGINT';

/**
 * The daemon's signals, listened to from the first line of `start` to the exit, with
 * persistent listeners. Never `process.once`: execa's exit hook (signal-exit) re-raises a
 * signal when it finds no other listener, so a once-listener, gone after the first call,
 * left a SIGTERM that arrived while git ran to kill the process (exit 143, no drain).
 *
 * - SIGTERM, SIGINT: the first asks for a drain (`stopRequested`). A repeated SIGTERM is
 *   logged and ignored: the drain is bounded by shutdown.gracePeriod, and systemd or a
 *   container runtime sends SIGKILL after its own stop timeout. A second SIGINT is a person
 *   pressing Ctrl-C again: what `onForceExit` set is done (the daemon kills its agents and
 *   records their runs as interrupted), and the process exits at once (130).
 * - SIGHUP: a reconcile once the hub is ready; before that it is ignored, not fatal.
 */
export class DaemonSignals {
  readonly stopRequested: Promise<StopSignal>;
  private requested: StopSignal | undefined;
  private resolveStop!: (signal: StopSignal) => void;
  private hangup: (() => void) | undefined;
  private forceExit: (() => void) | undefined;
  private readonly handlers: Array<[NodeJS.Signals, () => void]>;

  constructor(private readonly log: Logger, private readonly exitNow: (code: number) => void = (code) => process.exit(code)) {
    this.stopRequested = new Promise((resolve) => (this.resolveStop = resolve));
    this.handlers = [['SIGTERM', () => this.stop('SIGTERM')], ['SIGINT', () => this.stop('SIGINT')], ['SIGHUP', () => this.hup()]];
    for (const [signal, handler] of this.handlers) process.on(signal, handler);
  }

  /** The stop signal received so far, if any. */
  get received(): StopSignal | undefined {
    return this.requested;
  }

  /** What SIGHUP does from now on. */
  onHangup(fn: () => void): void {
    this.hangup = fn;
  }

  /** What a second SIGINT does, synchronously, before the process exits with 130. */
  onForceExit(fn: () => void): void {
    this.forceExit = fn;
  }

  /** Removes the listeners (for in-process use; the CLI exits with them installed). */
  close(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
  }

  private stop(signal: StopSignal): void {
    if (!this.requested) {
      this.requested = signal;
      this.resolveStop(signal);
      return;
    }
    if (signal === 'SIGINT' && this.requested === 'SIGINT') {
      this.log.warn({ signal }, 'second SIGINT: exiting now; running agents are killed and their runs recorded as interrupted');
      try {
        this.forceExit?.();
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'could not stop the agents at the forced exit; they are stopped at the next start');
      }
      this.exitNow(130);
      return;
    }
    this.log.warn({ signal, draining: this.requested }, 'already stopping: running runs keep their grace period (shutdown.gracePeriod), then the final commit; SIGKILL stops at once');
  }

  private hup(): void {
    if (this.hangup && !this.requested) this.hangup();
    else this.log.info({ signal: 'SIGHUP' }, this.requested ? 'SIGHUP ignored: stopping' : 'SIGHUP ignored: still starting');
  }
}
