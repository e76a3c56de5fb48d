import type { Db } from './registry/db.js';
import type { Logger } from './log/logger.js';
import type { Scheduler } from './schedule/scheduler.js';
import { foreignWrites, listSchedules, schedulesOf, type ScheduleRow } from './registry/schedules.js';

export interface ScheduleSyncOptions {
  db: Db;
  scheduler: Scheduler;
  log: Logger;
  /** A new version (or a removed connector) drops the retries still waiting for the old one. */
  dropRetries: (id: string) => void;
}

/**
 * The registry's schedules → the scheduler, after each reconcile pass. In full, or only for
 * the connectors the pass changed: with 5,000 connectors, listing and syncing them all took
 * a large share of each edit's pass. The full sync stays the rule whenever another
 * connection wrote the registry since the last sync (`agent-hub apply` in another process):
 * what it changed is in no plan of ours.
 */
export class ScheduleSync {
  /** The applied version of each active connector, as last synced. */
  private versions = new Map<string, string>();
  private writes: number | undefined;

  constructor(private readonly o: ScheduleSyncOptions) {}

  /** `changed`: the connectors a pass created, updated or removed; absent, every connector. */
  sync(changed?: ReadonlySet<string>): void {
    const writes = foreignWrites(this.o.db);
    const scope = writes === this.writes ? changed : undefined;
    this.writes = writes;
    if (scope?.size === 0) return;
    const rows = scope ? schedulesOf(this.o.db, scope) : listSchedules(this.o.db);
    const seen = new Map(rows.filter((c) => c.active).map((c) => [c.id, c.specHash]));
    for (const id of scope ?? [...this.versions.keys()]) {
      const was = this.versions.get(id);
      if (was !== undefined && seen.get(id) !== was) this.o.dropRetries(id);
      if (scope) this.versions.delete(id);
    }
    if (scope) for (const [id, hash] of seen) this.versions.set(id, hash);
    else this.versions = seen;
    const changes = this.o.scheduler.sync(rows.filter(scheduled).map((c) => ({ id: c.id, schedule: c.schedule as string, ...(c.timezone ? { timezone: c.timezone } : {}) })), scope);
    if (changes.added.length + changes.changed.length + changes.removed.length) this.o.log.debug({ ...changes }, 'schedule updated');
  }
}

const scheduled = (c: ScheduleRow) => c.active && c.enabled && c.schedule !== null && c.schedule !== '';
