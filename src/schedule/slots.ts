import { Cron } from 'croner';
import { withCachedFormats } from './zone-format.js';

/** A schedule's pure time arithmetic: croner's pattern matching, without its timers. */
export class SlotClock {
  private readonly cron: Cron;

  constructor(readonly pattern: string, readonly timezone?: string) {
    this.cron = new Cron(pattern, { paused: true, ...(timezone ? { timezone } : {}) });
  }

  /** The first slot strictly after `after`, or null if the pattern never fires again. */
  next(after: Date): Date | null {
    return this.timezone ? withCachedFormats(() => this.cron.nextRun(after)) : this.cron.nextRun(after);
  }

  /**
   * The latest slot in (from, to], or null. Used for catch-up, where the window is
   * bounded; `limit` stops a pattern firing every second over a long window.
   */
  latestBetween(from: Date, to: Date, limit = 100_000): Date | null {
    let latest: Date | null = null;
    let cursor = this.next(from);
    for (let i = 0; cursor && cursor.getTime() <= to.getTime() && i < limit; i++) {
      latest = cursor;
      cursor = this.next(cursor);
    }
    return latest;
  }
}
