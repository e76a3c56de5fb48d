import type { Logger } from '../log/logger.js';
import type { HealthTracker } from './health.js';
import { PushRefused, type PushResult, type RemoteSync } from './remote.js';
import type { SerialQueue } from './serial.js';
import { UserError } from '../core/errors.js';

export interface PushLoopOptions {
  /** The remote to push to now (hub.yaml may change it); undefined: pushing is off. */
  remote: () => RemoteSync | undefined;
  remoteName: () => string;
  /** The single git writer: replaying our commits after a rejection moves refs. */
  writer: SerialQueue;
  tracker: HealthTracker;
  log: Logger;
}

/**
 * Pushes state in the background, one push at a time: commits never wait for the network
 * or for a retry's pause. A push asked for while one runs follows it. A rejection because
 * the remote moved is answered by replaying our commits (through the writer) after a
 * pause; a failed connection is tried again after a pause; a refusal by the remote's
 * hooks is reported at once.
 */
export class PushLoop {
  private running: Promise<void> | undefined;
  private again = false;
  private stopping = false;
  private wake: () => void = () => undefined;
  private readonly stopped = new Promise<void>((resolve) => (this.wake = resolve));

  constructor(private readonly o: PushLoopOptions) {}

  /** Starts a push unless one is running, in which case one more follows it. */
  schedule(): void {
    if (!this.o.remote()) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.push();
        } catch (err) {
          this.o.log.error({ err: (err as Error).message }, 'state push failed; will retry');
        }
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once no push is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Ends any pause between attempts: a push waiting to try again gives up (the next start pushes). */
  stop(): void {
    this.stopping = true;
    this.wake();
  }

  private async push(): Promise<void> {
    const remote = this.o.remote();
    if (!remote) return;
    const pushed = await this.o.tracker.track('push', () => this.attempts(remote), (p) => (p.skipped && p.skipped !== 'nothing to push' ? `not pushed: ${p.skipped}` : undefined));
    if (pushed.pushed) {
      this.o.tracker.lastPushAt = new Date().toISOString();
      this.o.log.info({ attempts: pushed.attempts }, 'state pushed');
    } else if (pushed.skipped && pushed.skipped !== 'nothing to push') this.o.log.warn({}, `state not pushed: ${pushed.skipped}`);
  }

  private async attempts(remote: RemoteSync): Promise<PushResult> {
    const { delaysMs, sleep } = remote.backoff;
    // The pause ends early when the hub stops.
    const pause = (n: number) => Promise.race([sleep(delaysMs[n - 1] as number), this.stopped]);
    for (let n = 1; ; n++) {
      let r: Awaited<ReturnType<RemoteSync['pushOnce']>>;
      try {
        r = await remote.pushOnce(); // reads refs only: commits go on meanwhile
      } catch (err) {
        // A connection that failed may work in a moment; a refusal by the remote's hooks will not.
        if (err instanceof PushRefused || n > delaysMs.length || this.stopping) throw err;
        this.o.log.warn({ err: (err as Error).message, attempt: n }, 'state push failed; trying again');
        await pause(n);
        continue;
      }
      if (!r.rejected) return { ...r, attempts: n };
      if (n > delaysMs.length) throw new UserError(`${this.o.remoteName()} rejected the push ${n} times: it keeps moving; the state stays committed locally and is pushed again later`);
      await pause(n);
      if (this.stopping) return { pushed: false, attempts: n, skipped: 'the hub stopped before the remote took the state; it is pushed after the next start' };
      const caught = await this.o.writer.run(() => remote.catchUp());
      if (caught.diverged) return { pushed: false, attempts: n, skipped: caught.diverged };
    }
  }
}
