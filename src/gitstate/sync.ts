import { durationMs } from '../core/duration.js';
import type { Logger } from '../log/logger.js';
import type { HubConfig } from '../spec/hub-config.js';
import type { Author } from './author.js';
import type { HealthTracker } from './health.js';
import { PushLoop } from './push-loop.js';
import { RemoteSync, type PullResult } from './remote.js';
import type { SerialQueue } from './serial.js';
import { BranchTarget, WorktreeTarget, type StateTarget } from './targets.js';

export const DEFAULT_REMOTE_TIMEOUT = '2m';

export interface StateSyncOptions {
  root: string;
  target: StateTarget;
  /** The single git writer: a pull moves refs and the index. */
  writer: SerialQueue;
  tracker: HealthTracker;
  log: Logger;
  /** Pauses between push attempts after a rejection. */
  backoffMs?: number[];
}

/**
 * The state and its remote (hub.yaml's `remote`): pulls through the single writer, then
 * pushes in the background; each noted in the health tracker. Reconfigured live.
 */
export class StateSync {
  private config: HubConfig = {};
  private remoteSync: RemoteSync | undefined;
  private readonly pushes: PushLoop;

  constructor(private readonly o: StateSyncOptions) {
    this.pushes = new PushLoop({
      remote: () => (this.config.remote?.push === false ? undefined : this.remote), remoteName: () => this.name,
      writer: o.writer, tracker: o.tracker, log: o.log,
    });
  }

  /** Set when hub.yaml enables the remote: state commits are pushed, connectors pulled. */
  get remote(): RemoteSync | undefined {
    return this.remoteSync;
  }

  private get name(): string {
    return this.config.remote?.name ?? 'origin';
  }

  /** Takes hub.yaml's remote settings, and who commits (past authors' commits still count as ours). */
  configure(config: HubConfig, author: Author, formerEmails: readonly string[]): void {
    this.config = config;
    const { root, target } = this.o;
    this.remoteSync = config.remote?.enabled
      ? new RemoteSync({
        root, remote: this.name, author, formerEmails,
        timeoutMs: durationMs(config.remote.timeout ?? DEFAULT_REMOTE_TIMEOUT), ...(this.o.backoffMs ? { backoffMs: this.o.backoffMs } : {}),
        ...(target instanceof BranchTarget ? { stateBranch: target.branch } : {}),
        ...(target instanceof WorktreeTarget ? { trackedBranch: () => target.branch } : {}),
      })
      : undefined;
  }

  /**
   * Pulls (fast-forwarding connectors, replaying our commits when the remote moved) through
   * the single writer, then pushes. A divergence is logged and left for a person.
   */
  async sync(): Promise<PullResult | undefined> {
    const { writer, tracker, log } = this.o;
    const pulled = await writer.run(async () => {
      const remote = this.remote;
      if (!remote) return undefined;
      const result = await tracker.track('pull', () => remote.pull(), (p) => p.diverged);
      const name = this.name;
      if (result.diverged) log.error({ remote: name }, result.diverged);
      if (result.deferred) log.debug({ remote: name, reason: result.deferred }, 'pull put off');
      if (result.updated) log.info({ remote: name, range: result.range, replayed: result.rebased }, 'pulled from the remote');
      return result;
    });
    if (pulled) {
      this.pushes.schedule();
      await this.pushes.idle();
    }
    return pulled;
  }

  /** Starts a push in the background (after a commit). */
  push(): void {
    this.pushes.schedule();
  }

  /** Resolves once no push is running. */
  pushed(): Promise<void> {
    return this.pushes.idle();
  }

  /** Ends any pause between push attempts (the hub stops). */
  stop(): void {
    this.pushes.stop();
  }
}
