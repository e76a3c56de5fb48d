import { Cron } from 'croner';

const DAY_MS = 86_400_000;
/** A week catches weekday schedules whole; sparse schedules (monthly…) are counted over 52 weeks. */
const WEEK_DAYS = 7;
const YEAR_DAYS = 364;
/** Past this many runs the rate is taken from the time they span (a schedule every second). */
const MAX_COUNT = 20_000;

/**
 * How many times a schedule fires per day on average, counted from `from` in its time zone:
 * over the next 7 days, or 52 weeks when it fires less than daily. 0 for a schedule that never
 * fires, null for manual only.
 */
export function runsPerDay(schedule: string | null | undefined, timezone?: string, from = new Date()): number | null {
  if (!schedule) return null;
  let job: Cron;
  try {
    // The zone's offset now rather than the zone itself: croner is ~50× faster with a fixed offset,
    // and a daylight-saving change within the week moves at most an hour's runs.
    job = new Cron(schedule, { paused: true, utcOffset: offsetMinutes(timezone ?? 'UTC', from) });
  } catch {
    return 0;
  }
  try {
    const week = count(job, from, WEEK_DAYS);
    return week.count >= WEEK_DAYS || week.capped ? week.rate : count(job, from, YEAR_DAYS).rate;
  } finally {
    job.stop();
  }
}

/** Minutes a time zone is ahead of UTC at `at` (Europe/Paris in winter: 60). */
export function offsetMinutes(timezone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
  return Math.round((local - Math.floor(at.getTime() / 60_000) * 60_000) / 60_000);
}

const CHUNK = 1000;

function count(job: Cron, from: Date, days: number): { count: number; rate: number; capped: boolean } {
  const end = from.getTime() + days * DAY_MS;
  let n = 0;
  let at = from;
  for (;;) {
    const runs = job.nextRuns(CHUNK, at);
    for (const run of runs) {
      if (run.getTime() > end) return { count: n, rate: n / days, capped: false };
      n++;
      if (n >= MAX_COUNT) return { count: n, rate: n / Math.max((run.getTime() - from.getTime()) / DAY_MS, 1 / 86_400), capped: true };
    }
    if (runs.length < CHUNK) return { count: n, rate: n / days, capped: false };
    at = runs[runs.length - 1] as Date;
  }
}

/** "288/day", "0.71/day", "1/day", "manual only". */
export function formatRate(perDay: number | null): string {
  if (perDay === null) return 'manual only';
  return `${formatNumber(perDay)}/day`;
}

/** A count for people: whole numbers as they are, small ones to two significant decimals. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) || n >= 100) return String(Math.round(n));
  if (n >= 10) return n.toFixed(1).replace(/\.0$/, '');
  return String(Number(n.toPrecision(2)));
}
