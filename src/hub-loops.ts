import type { GitState } from './gitstate/state.js';
import { DEFAULT_COMMIT_INTERVAL } from './gitstate/state.js';
import type { Logger } from './log/logger.js';
import { Intervals } from './schedule/intervals.js';
import type { HubConfig } from './spec/hub-config.js';

export const DEFAULT_PULL_INTERVAL = '60s';
export const DEFAULT_RESYNC_INTERVAL = '5m';

export interface HubLoopTasks {
  /** A full reconcile (resync.interval), whatever the file events said. */
  resync(): void;
  /** A pull, then a push (remote.pullInterval). */
  pull(): void;
}

/**
 * Every timer of the hub's: the state commit (state.commitInterval), the pull from the
 * remote (remote.pullInterval, while the remote is enabled) and the resync
 * (resync.interval). Outside a git repository only the resync runs. `arm` takes a changed
 * hub.yaml: a loop whose interval changed restarts, the others keep their rhythm.
 */
export class HubLoops {
  private readonly intervals = new Intervals();
  private running = false;

  constructor(private readonly o: { gitState: GitState; inGit: boolean; log: Logger; tasks: HubLoopTasks }) {}

  start(config: HubConfig): void {
    this.running = true;
    this.arm(config);
  }

  /** Re-arms the loops for `config` (after hub.yaml changed); nothing before start() or after stop(). */
  arm(config: HubConfig): void {
    if (!this.running) return;
    const { gitState, inGit, log, tasks } = this.o;
    this.intervals.set('resync', config.resync?.interval ?? DEFAULT_RESYNC_INTERVAL, () => tasks.resync());
    this.intervals.set('commit', inGit ? config.state?.commitInterval ?? DEFAULT_COMMIT_INTERVAL : undefined, () => {
      gitState.commit().catch((err: unknown) => log.error({ err: (err as Error).message }, 'state commit failed; will retry at the next interval'));
    });
    this.intervals.set('pull', inGit && gitState.remote ? config.remote?.pullInterval ?? DEFAULT_PULL_INTERVAL : undefined, () => tasks.pull());
  }

  /**
   * The hub is draining: no more pulls or resyncs (nothing new should come in), while state
   * is still committed at its interval as the last runs finish; hub.yaml changes no longer re-arm.
   */
  drain(): void {
    this.running = false;
    this.intervals.stop(['pull', 'resync']);
  }

  /** Stops every loop (before the last commit). */
  stop(): void {
    this.running = false;
    this.intervals.stop();
  }
}
