/**
 * Process groups, for any layer that starts a child which may start others (git and its
 * ssh or remote helpers, an agent): stopping the group reaches all of them.
 */

/** Sends a signal to a whole process group; a group already gone is fine. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}

/** Stops a process group: `stop()` now, `release()` once its leader has been awaited. */
export interface GroupSupervisor {
  /** SIGTERM to the whole group, SIGKILL after the grace period. */
  stop(): void;
  /** Clears the timers and kills whatever is left in the group. */
  release(): void;
}

/**
 * Supervises a child started as the leader of its own process group (`detached: true`):
 * `stop()` reaches everything it started, and when the leader exits, whatever it left in
 * the group is killed too (releasing the pipes those processes hold open): no orphans.
 */
export function superviseGroup(child: { pid?: number | undefined; on(event: 'exit', listener: () => void): unknown }, graceMs: number): GroupSupervisor {
  let killTimer: NodeJS.Timeout | undefined;
  child.on('exit', () => killGroup(child.pid, 'SIGKILL'));
  return {
    stop() {
      killGroup(child.pid, 'SIGTERM');
      killTimer ??= setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
    },
    release() {
      clearTimeout(killTimer);
      killGroup(child.pid, 'SIGKILL');
    },
  };
}
