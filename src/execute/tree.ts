import { withoutStack } from '../os/no-stack.js';
import type { RunCgroup } from './cgroup.js';
import { childrenOf, findByEnv, findByEnvSoon, procStat } from './procfs.js';

/**
 * Every agent gets its run's id in this variable. Children inherit their parent's
 * environment through fork, exec and setsid, so it finds what an agent started even after
 * that left the agent's process group (a daemonizing tool, `setsid cmd &`).
 */
export const RUN_ID_VAR = 'AGENT_HUB_RUN_ID';

function kill(pid: number, signal: NodeJS.Signals | 0): boolean {
  return withoutStack(() => {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false; // ESRCH: gone; EPERM: not ours to signal
    }
  });
}

/**
 * Everything one agent started: the process group it leads, and descendants that left
 * the group, found by the run's cgroup where there is one (see RunCgroup), by the run id
 * in their environment (Linux: /proc), and by the process tree seen while the agent ran
 * (which also catches one that dropped its environment, if it lived long enough to be
 * seen). Without /proc, only the group is reached.
 */
export class ProcessTree {
  /** Descendants seen while the agent ran, with their start times, so a reused pid is never signalled. */
  private readonly seen = new Map<number, string>();

  /** `pgid`: the group the agent leads, or undefined when the leader is not known to be ours any more. */
  constructor(private readonly pgid: number | undefined, private readonly runId: string, readonly cgroup: RunCgroup | null = null) {}

  /** Records the leader's descendants as they are now (called while the agent runs). */
  watch(leader: number): void {
    const queue = [leader];
    const visited = new Set(queue);
    for (let pid = queue.pop(); pid !== undefined; pid = queue.pop()) {
      for (const child of childrenOf(pid)) {
        if (visited.has(child)) continue;
        visited.add(child);
        const stat = procStat(child);
        if (!stat) continue;
        this.seen.set(child, stat.startTime);
        queue.push(child);
      }
    }
  }

  /**
   * Processes outside the group that belong to the run and still run (zombies excluded).
   * The /proc scan for the run id is made every time, also when the run's cgroup is empty:
   * an agent running as the hub's user may have moved a process out of it on purpose.
   */
  private outside(): number[] {
    return this.outsideOf(findByEnv(RUN_ID_VAR, this.runId));
  }

  /** outside(), given the pids a /proc scan found with the run id. */
  private outsideOf(byEnv: number[]): number[] {
    const pids = new Set([...byEnv, ...(this.cgroup?.pids() ?? [])]);
    for (const [pid, startTime] of this.seen) {
      const stat = procStat(pid);
      if (stat?.startTime === startTime) pids.add(pid);
      else this.seen.delete(pid);
    }
    return [...pids].filter((pid) => {
      if (pid === process.pid) return false; // the hub, should it have stayed in the run's cgroup
      const stat = procStat(pid);
      return stat !== null && stat.state !== 'Z' && stat.pgid !== this.pgid;
    });
  }

  /** Signals the group and everything of the run outside it; returns the pids signalled outside the group. */
  signal(signal: NodeJS.Signals): number[] {
    this.signalGroup(signal);
    return this.signalOutside(signal, this.outside());
  }

  /** The group, and with SIGKILL the cgroup: what needs no scan. */
  private signalGroup(signal: NodeJS.Signals): void {
    if (this.pgid) kill(-this.pgid, signal);
    if (signal === 'SIGKILL') this.cgroup?.kill();
  }

  private signalOutside(signal: NodeJS.Signals, outside: number[]): number[] {
    for (const pid of outside) kill(pid, signal);
    return outside;
  }

  /**
   * At the leader's exit: SIGKILL to the group and the cgroup at once, then to what left
   * both, found by a /proc scan made right after this turn of the event loop, one for all
   * the runs ending in it (findByEnvSoon). Resolves once all of it has been signalled.
   */
  async killLeftBehind(): Promise<void> {
    this.signalGroup('SIGKILL');
    this.signalOutside('SIGKILL', this.outsideOf(await findByEnvSoon(RUN_ID_VAR, this.runId)));
  }

  /** True while anything of it is left. */
  alive(): boolean {
    return (this.pgid !== undefined && kill(-this.pgid, 0)) || this.outside().length > 0;
  }

  /**
   * SIGTERM to all of it, SIGKILL to what is left after `graceMs`; resolves once nothing is
   * left or right after the SIGKILL. Returns the pids found outside the group.
   */
  async stop(graceMs: number): Promise<number[]> {
    const outside = new Set(this.signal('SIGTERM'));
    const until = Date.now() + graceMs;
    while (this.alive() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    if (this.alive()) for (const pid of this.signal('SIGKILL')) outside.add(pid);
    return [...outside];
  }
}
