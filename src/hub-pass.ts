import type { Db } from './registry/db.js';
import type { Logger } from './log/logger.js';
import type { StorageHealth } from './registry/storage.js';
import { reconcile, type ReconcileResult } from './reconcile/reconcile.js';
import { followCommits } from './reconcile/commits.js';
import { planSummary } from './core/plan.js';
import { ScheduleSync } from './hub-schedule.js';

/** One reconcile pass as every trigger sees it: for metrics and logs. */
export interface ReconcilePass {
  triggers: string[];
  seconds: number;
  result?: ReconcileResult;
  error?: Error;
}

export interface PassOptions {
  root: string;
  db: Db;
  log: Logger;
  storage: StorageHealth;
  schedules: ScheduleSync;
  /** Called first in every pass: a changed hub.yaml is taken whatever triggered the pass. */
  beforePass: () => void;
}

/**
 * A reconcile pass as the hub runs it: files → registry → scheduler, its logs, and the
 * listeners told of it (metrics). The queue in front (reconcile/queue.ts) runs one at a time.
 */
export class ReconcilePasses {
  private readonly listeners: Array<(pass: ReconcilePass) => void> = [];
  /**
   * The last pass failed (the registry locked or the disk full): the files it was to apply,
   * and the connectors it may have changed, are in no later file event. The next pass is a
   * full one, its schedules synced in full.
   */
  private failed = false;

  constructor(private readonly o: PassOptions) {}

  /** Called after every pass, whatever triggered it. */
  onReconciled(listener: (pass: ReconcilePass) => void): void {
    this.listeners.push(listener);
  }

  /** `changed`: the paths file events named (only file events: the other triggers ask for a full pass). */
  async run(triggers: string[], changed?: readonly string[]): Promise<ReconcileResult> {
    const started = performance.now();
    const trigger = triggers.join(',');
    const { log } = this.o;
    try {
      this.o.beforePass();
      const full = this.failed;
      const result = await reconcile(this.o.root, this.o.db, changed && !full ? { changed } : {});
      // HEAD may have moved (a commit, a pull): connectors take the commit their files are in now.
      // Not on file events alone, which a commit does not make: those passes stay quick.
      const filesOnly = triggers.every((t) => t === 'files');
      if (!filesOnly) {
        await followCommits(this.o.root, this.o.db, result).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not read the commits of the connector files; kept the recorded ones'));
      }
      logPlan(log, result);
      // File events: only the connectors this pass changed are rescheduled. Any other trigger (start, resync, SIGHUP, a pull) syncs them all.
      this.o.schedules.sync(filesOnly && !full ? changedIds(result) : undefined);
      this.failed = false;
      const fields = { trigger, durationMs: Math.round(performance.now() - started) };
      if (result.applied) log.info(fields, `reconciled: ${planSummary(result.plan)}`);
      else log.debug(fields, 'reconciled: no change');
      this.tell({ triggers, seconds: (performance.now() - started) / 1000, result });
      return result;
    } catch (err) {
      this.failed = true;
      this.o.storage.note('reconcile', err);
      log.error({ trigger, err: (err as Error).message }, 'reconcile failed');
      this.tell({ triggers, seconds: (performance.now() - started) / 1000, error: err as Error });
      throw err;
    }
  }

  private tell(pass: ReconcilePass): void {
    for (const listener of this.listeners) {
      try {
        listener(pass);
      } catch (err) {
        this.o.log.error({ err: (err as Error).message }, 'a step after a reconcile failed');
      }
    }
  }
}

/** The connectors an applied pass created, updated or removed: those whose schedule may have changed. */
function changedIds(result: ReconcileResult): Set<string> {
  const ids = new Set<string>();
  if (result.applied) for (const a of result.plan.actions) if (a.kind === 'create' || a.kind === 'update' || a.kind === 'remove') ids.add(a.id);
  return ids;
}

function logPlan(log: Logger, result: ReconcileResult): void {
  for (const d of result.blocking) log.error({ file: d.file, line: d.line, column: d.column }, d.message);
  for (const a of result.plan.actions) {
    if (a.kind === 'invalid') {
      for (const d of a.file.diagnostics.filter((x) => x.severity === 'error')) {
        log.warn({ file: d.file, line: d.line, column: d.column, field: d.path, connector: a.id, keepsLastGood: a.keepsLastGood }, `${d.message}${d.hint ? ` (${d.hint})` : ''}`);
      }
    } else if (a.kind !== 'unchanged') {
      log.info({ connector: a.id, action: a.kind }, `connector ${a.kind === 'remove' ? 'removed' : `${a.kind}d`}`);
    }
  }
}
