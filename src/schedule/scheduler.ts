import { SlotClock } from './slots.js';

/** What the scheduler needs of a connector. */
export interface Schedulable {
  id: string;
  schedule: string;
  timezone?: string;
}

interface Job {
  key: string;
  clock: SlotClock;
  next: Date | null;
  timer?: NodeJS.Timeout;
}

/** Timers longer than this are re-armed in steps (setTimeout's limit is 24.8 days). */
const MAX_DELAY_MS = 60 * 60 * 1000;
/** A slot this late (the process was suspended, the loop blocked) is skipped, not fired. */
const STALE_MS = 60 * 1000;

export interface SyncResult {
  added: string[];
  changed: string[];
  removed: string[];
}

/**
 * One job per scheduled connector. Each job knows the exact slot it waits for, so a fire
 * carries the slot time (not "about now"): the executor's unique (connector, slot) key
 * then makes a double fire harmless. Syncing replaces only the jobs whose schedule or
 * time zone changed; an unchanged job keeps its timer.
 */
export class Scheduler {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly onSlot: (id: string, slot: Date) => void, private readonly now: () => Date = () => new Date()) {}

  /**
   * Brings the jobs in line with `wanted` (active, enabled connectors with a schedule). With
   * `scope`, only the jobs of those ids are looked at (the connectors a reconcile changed):
   * a job outside it stays, whether or not it is in `wanted`.
   */
  sync(wanted: readonly Schedulable[], scope?: ReadonlySet<string>): SyncResult {
    const result: SyncResult = { added: [], changed: [], removed: [] };
    const ids = new Set(wanted.map((w) => w.id));
    const looked = scope ? [...scope].filter((id) => this.jobs.has(id)) : [...this.jobs.keys()];
    for (const id of looked) {
      if (!ids.has(id)) {
        clearTimeout(this.jobs.get(id)?.timer);
        this.jobs.delete(id);
        result.removed.push(id);
      }
    }
    for (const w of wanted) {
      const key = `${w.schedule}\u0000${w.timezone ?? ''}`;
      const current = this.jobs.get(w.id);
      if (current?.key === key) continue;
      if (current) clearTimeout(current.timer);
      const job: Job = { key, clock: new SlotClock(w.schedule, w.timezone), next: null };
      this.jobs.set(w.id, job);
      (current ? result.changed : result.added).push(w.id);
      this.arm(w.id, job, this.now());
    }
    return result;
  }

  /** The next slot of a connector, or null (manual only, or never fires again). */
  nextRun(id: string): Date | null {
    return this.jobs.get(id)?.next ?? null;
  }

  get size(): number {
    return this.jobs.size;
  }

  stop(): void {
    for (const job of this.jobs.values()) clearTimeout(job.timer);
    this.jobs.clear();
  }

  private arm(id: string, job: Job, after: Date): void {
    job.next = job.clock.next(after);
    this.wait(id, job);
  }

  private wait(id: string, job: Job): void {
    if (!job.next) return;
    const delay = Math.max(0, job.next.getTime() - this.now().getTime());
    job.timer = setTimeout(() => this.tick(id, job), Math.min(delay, MAX_DELAY_MS));
  }

  private tick(id: string, job: Job): void {
    if (this.jobs.get(id) !== job || !job.next) return; // replaced or stopped meanwhile
    const now = this.now();
    const slot = job.next;
    if (now.getTime() < slot.getTime()) {
      this.wait(id, job); // a long delay, in steps
      return;
    }
    // Next slot after this one, or after now when we fell far behind (no burst of stale slots).
    // Armed before the callback runs, so a callback that throws cannot end the schedule.
    const next = job.clock.next(slot);
    this.arm(id, job, next && now.getTime() - next.getTime() > STALE_MS ? now : slot);
    if (now.getTime() - slot.getTime() <= STALE_MS) this.onSlot(id, slot);
  }
}
