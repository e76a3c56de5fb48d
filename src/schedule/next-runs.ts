import { Cron } from 'croner';

/** The next `n` times a schedule fires after `from`; empty for a manual connector or a schedule croner refuses. */
export function nextRuns(schedule: string | null | undefined, timezone: string | undefined, n: number, from = new Date()): Date[] {
  if (!schedule) return [];
  try {
    const job = new Cron(schedule, { paused: true, ...(timezone ? { timezone } : {}) });
    const runs = job.nextRuns(n, from);
    job.stop();
    return runs;
  } catch {
    return [];
  }
}
