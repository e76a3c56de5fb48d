import type { Db } from '../registry/db.js';
import type { Diagnostic } from '../core/types.js';
import { connectorStatuses, partialsUsed, type ConnectorStatus } from '../registry/status.js';
import { readDrift, type ConnectorDrift, type NewFile } from '../reconcile/drift.js';
import { PARTIALS_DIR } from '../spec/load.js';
import type { HubConfig } from '../spec/hub-config.js';
import { lastStateCommit, type StateCommit } from '../gitstate/last-commit.js';
import { authorOf, stateTarget } from '../gitstate/state.js';
import { lastCommits } from '../gitstate/file-commits.js';
import { GitError } from '../gitstate/git.js';
import { commitDeferral, pendingCount } from '../registry/git-outbox.js';
import { readDaemonHealth, type DaemonHealth } from '../daemon/health-file.js';
import { lockState } from '../daemon/lock.js';

/** A connector as `status` shows it: what was applied, and how the file compares now. */
export interface ConnectorReport extends ConnectorStatus {
  /** synced / out-of-sync / invalid, with why, the file's current version and errors. */
  sync: Omit<ConnectorDrift, 'deps'>;
  /**
   * The commit the applied version is in: while the files match it and are committed
   * unchanged, the commit that last touched them (read from git now, so it follows HEAD);
   * otherwise the commit recorded at apply. Null: applied from uncommitted files.
   */
  commit: string | null;
}

/** Whether a hub runs on this repository: the lock, its process, where it listens. */
export interface HubReport {
  running: boolean;
  pid: number | null;
  url: string | null;
  lock: string | null;
  /** A lock left behind by a hub that is gone, and why it does not count. */
  staleLock?: string;
}

/** The running hub's own word on its health, when one runs (a full disk shows here though nothing can be written). */
export type HubHealthReport = Partial<Pick<DaemonHealth, 'status' | 'reasons' | 'storage' | 'updatedAt'>>;

export interface StatusReport {
  connectors: ConnectorReport[];
  /** Connector files no applied connector comes from: new, valid or not. */
  newFiles: NewFile[];
  /** Errors in hub.yaml or partials that stop every apply. */
  blocking: Diagnostic[];
  git: { pending: number; lastCommit: StateCommit | null; deferred?: ReturnType<typeof commitDeferral> };
  hub: HubReport & HubHealthReport;
}

/** Everything `status` says, read from the registry, the files, git and the lock; nothing is written. */
export async function statusReport(root: string, db: Db, config: HubConfig): Promise<StatusReport> {
  const rows = connectorStatuses(db);
  const drift = await readDrift(root, db);
  const partials = partialsUsed(db);
  const synced = new Map<string, string[]>();
  for (const r of rows) {
    const d = drift.connectors.get(r.id);
    if (d?.status === 'synced' && d.file) synced.set(r.id, [d.file, ...d.deps, ...(partials.get(r.id) ?? []).map((n) => `${PARTIALS_DIR}/${n}.hbs`)]);
  }
  const [live, lastCommit] = await Promise.all([
    // A git that fails here (a broken repository) leaves the commits recorded at apply; a bug still surfaces.
    lastCommits(root, synced).catch((err: unknown) => {
      if (err instanceof GitError) return undefined;
      throw err;
    }),
    lastStateCommit(root, stateTarget(root, config), authorOf(config)),
  ]);
  const connectors = rows.map((r): ConnectorReport => {
    const { deps: _deps, ...sync } = drift.connectors.get(r.id) ?? { status: 'synced' as const, deps: [] };
    const commit = live?.has(r.id) ? (live.get(r.id) ?? null) : r.gitCommit;
    return { ...r, sync, commit };
  });
  const deferred = commitDeferral(db);
  return {
    connectors, newFiles: drift.newFiles, blocking: drift.blocking,
    git: { pending: pendingCount(db), lastCommit, ...(deferred ? { deferred } : {}) },
    hub: hubReport(root),
  };
}

/** The lock says whether a hub runs; its health file says where it listens and how it is. */
export function hubReport(root: string): HubReport & HubHealthReport {
  const lock = lockState(root);
  const running = lock?.running ?? false;
  const found = readDaemonHealth(root);
  const health = found?.pid === lock?.pid ? found : undefined; // a file left by an earlier hub says nothing of this one
  return {
    running, pid: running ? lock?.pid ?? null : null, url: running ? health?.url ?? null : null, lock: lock?.file ?? null,
    ...(lock?.stale ? { staleLock: lock.stale } : {}),
    ...(running && health ? { status: health.status, reasons: health.reasons, storage: health.storage, updatedAt: health.updatedAt } : {}),
  };
}
