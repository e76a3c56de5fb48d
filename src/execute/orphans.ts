import type { Logger } from '../log/logger.js';
import type { Db } from '../registry/db.js';
import { interruptRuns, runningAgents } from '../registry/executions.js';
import { RunCgroup, sweepRunCgroups } from './cgroup.js';
import type { AgentProcess } from './process.js';
import { isThisProcess, stillRunning, type ProcessIdentity } from './procfs.js';
import { ProcessTree } from './tree.js';

const isIdentity = (v: unknown): v is ProcessIdentity =>
  typeof v === 'object' && v !== null && typeof (v as ProcessIdentity).pid === 'number'
  && typeof (v as ProcessIdentity).startTime === 'string' && typeof (v as ProcessIdentity).bootId === 'string';

/** The recorded agent process, or null when the row has none (an older hub, a crash before the spawn). */
function parse(v: unknown): AgentProcess | null {
  if (typeof v !== 'object' || v === null || typeof (v as AgentProcess).pid !== 'number') return null;
  const p = v as Record<string, unknown>;
  return {
    pid: p.pid as number, process: isIdentity(p.process) ? p.process : null, hub: isIdentity(p.hub) ? p.hub : null,
    cgroup: typeof p.cgroup === 'string' ? p.cgroup : null,
  };
}

/**
 * At start, before the runs a crash left `running` are marked interrupted: stops their
 * agents, which the crash left running (and spending). The agent's group is signalled
 * only when its leader is provably the same process (pid, start time and boot as
 * recorded: a reused pid is never signalled); descendants are found by the run id in
 * their environment whatever happened to the leader. SIGTERM, then SIGKILL after
 * `graceMs`. Returns the ids of runs that another agent-hub process still running owns
 * (`agent-hub run` in a terminal): those are left alone, neither stopped nor interrupted.
 * Then the empty run cgroups killed agent-hub processes left are removed (see sweepRunCgroups).
 */
export async function stopOrphans(db: Db, log: Logger, graceMs: number): Promise<string[]> {
  const owned: string[] = [];
  const stops: Array<Promise<void>> = [];
  for (const row of runningAgents(db)) {
    const p = parse(row.agentProcess);
    if (p?.hub && p.hub.pid !== process.pid && stillRunning(p.hub)) {
      owned.push(row.id);
      continue;
    }
    if (p && !p.process) {
      log.warn({ run: row.id, pid: p.pid }, 'cannot tell whether the agent of a run the last stop left running still runs (no /proc on this system); stop it by hand if it does');
      continue;
    }
    const leader = p?.process && stillRunning(p.process) ? p.pid : undefined;
    const cgroup = p?.cgroup ? RunCgroup.at(p.cgroup) : null;
    const tree = new ProcessTree(leader, row.id, cgroup);
    if (!tree.alive()) {
      cgroup?.remove();
      continue;
    }
    stops.push(tree.stop(graceMs).then((descendants) => {
      cgroup?.remove();
      log.warn({ run: row.id, pid: leader, descendants }, 'stopped the agent of a run the last stop left running (SIGTERM, SIGKILL after the grace period)');
    }));
  }
  await Promise.all(stops);
  sweepRunCgroups(log);
  return owned;
}

/**
 * At a forced exit (a second Ctrl-C), synchronous as the process exits next: SIGKILL, at
 * once, to the agents this process started (their group, their cgroup, what of the run left
 * both), and their runs recorded as interrupted, so that `status` says so now; their run
 * records are written at the next start. Returns how many.
 */
export function abandonOwnRuns(db: Db, now: Date): number {
  const killed: string[] = [];
  for (const row of runningAgents(db)) {
    const p = parse(row.agentProcess);
    if (!p?.hub || !isThisProcess(p.hub)) continue;
    new ProcessTree(p.pid, row.id, p.cgroup ? RunCgroup.at(p.cgroup) : null).signal('SIGKILL');
    killed.push(row.id);
  }
  return interruptRuns(db, killed, 'stopped (a second Ctrl-C) before this run finished', now);
}
