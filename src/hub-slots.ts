import { durationMs } from './core/duration.js';
import type { Executor } from './execute/executor.js';
import type { Logger } from './log/logger.js';
import { listConnectors } from './registry/connectors.js';
import type { Db } from './registry/db.js';
import { lastSlot, recordSlot } from './registry/executions.js';
import { recordSkip, type SkipReason } from './registry/skips.js';
import type { StorageHealth } from './registry/storage.js';
import { SlotClock } from './schedule/slots.js';

export interface SlotRunnerOptions {
  db: Db;
  executor: Executor;
  storage: StorageHealth;
  log: Logger;
  now: () => Date;
}

/**
 * What the hub does when a connector's slot is due: record the slot, submit the run, and
 * when it does not become one (overlap, budget, stopping, an error), count the skip with
 * its reason, so "why didn't it run?" has an answer. Also the catch-up after downtime.
 */
export class SlotRunner {
  private readonly db: Db;
  private readonly executor: Executor;
  private readonly storage: StorageHealth;
  private readonly log: Logger;
  private readonly now: () => Date;

  constructor(o: SlotRunnerOptions) {
    this.db = o.db;
    this.executor = o.executor;
    this.storage = o.storage;
    this.log = o.log;
    this.now = o.now;
  }

  /** A slot is due: a write that fails for lack of space skips it (logged, hub degraded); the schedule goes on. */
  fire(id: string, slot: Date, trigger: 'schedule' | 'catch-up' = 'schedule'): void {
    try {
      this.onSlot(id, slot, trigger);
    } catch (err) {
      if (!this.storage.note(`record the slot of ${id}`, err)) throw err;
      this.log.warn({ connector: id, slot, reason: this.storage.problem?.reason }, 'scheduled run not started: it cannot be recorded');
    }
  }

  private onSlot(id: string, slot: Date, trigger: 'schedule' | 'catch-up' = 'schedule'): void {
    recordSlot(this.db, id, slot);
    let skip: { reason: SkipReason; message: string } | undefined;
    try {
      const r = this.executor.submit({ connectorId: id, trigger, scheduledFor: slot });
      // A duplicate slot already ran; every other refusal, and a budget stop, is a slot that did not become a run.
      if (r.status !== 'queued') {
        if (r.reason === 'duplicate-slot') this.log.info({ connector: id, slot, reason: r.reason }, r.message);
        else skip = { reason: r.reason, message: r.message };
      }
    } catch (err) {
      this.log.error({ connector: id, slot, err: (err as Error).message }, 'scheduled run not started');
      skip = { reason: 'error', message: (err as Error).message };
    }
    if (!skip) return;
    this.log.warn({ connector: id, slot, trigger, reason: skip.reason }, `scheduled run skipped (${skip.reason}): ${skip.message}`);
    try {
      recordSkip(this.db, { connectorId: id, reason: skip.reason, slot, at: this.now(), message: skip.message });
    } catch (err) {
      this.log.error({ connector: id, slot, err: (err as Error).message }, 'could not record the skipped slot');
    }
  }

  /** After downtime: the latest missed slot of each connector, once, if within its catchUp window. */
  catchUp(): void {
    const now = this.now();
    for (const c of listConnectors(this.db).filter((x) => x.active && x.version.spec.enabled && x.version.spec.schedule)) {
      const { spec } = c.version;
      if (!spec.catchUp) continue;
      const windowStart = new Date(now.getTime() - durationMs(spec.catchUp));
      const since = lastSlot(this.db, c.id) ?? (c.appliedAt ? new Date(c.appliedAt) : now);
      const from = since > windowStart ? since : windowStart;
      const missed = new SlotClock(spec.schedule as string, spec.timezone).latestBetween(from, now);
      if (missed) {
        this.log.info({ connector: c.id, slot: missed }, 'catching up a missed run');
        this.fire(c.id, missed, 'catch-up');
      }
    }
  }
}
