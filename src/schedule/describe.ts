import { Cron } from 'croner';
import cronstrue from 'cronstrue';
import { withCachedFormats } from './zone-format.js';

/** "At 09:00 AM, Monday through Friday (Europe/Paris)", or "manual only". */
export function describeSchedule(schedule: string | null | undefined, timezone?: string): string {
  if (!schedule) return 'manual only';
  // Remembered: a plan of 5,000 connectors describes the same few schedules over and over (~25 µs each).
  const key = `${schedule}\0${timezone ?? ''}`;
  let text = described.get(key);
  if (text === undefined) {
    if (described.size >= 10_000) described.clear();
    described.set(key, (text = describe(schedule, timezone)));
  }
  return text;
}

const described = new Map<string, string>();

function describe(schedule: string, timezone: string | undefined): string {
  let words: string;
  try {
    words = cronstrue.toString(expandNickname(schedule), { use24HourTimeFormat: true, verbose: false });
  } catch {
    words = schedule;
  }
  return timezone && timezone !== 'UTC' ? `${words} (${timezone})` : `${words} (UTC)`;
}

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};

function expandNickname(schedule: string): string {
  return NICKNAMES[schedule.trim().toLowerCase()] ?? schedule;
}

/** The next time a schedule fires after `from`, or null when it never will (or is manual). */
export function nextRun(schedule: string | null | undefined, timezone?: string, from = new Date()): Date | null {
  if (!schedule) return null;
  try {
    const job = new Cron(schedule, { paused: true, ...(timezone ? { timezone } : {}) });
    const next = withCachedFormats(() => job.nextRun(from));
    job.stop();
    return next;
  } catch {
    return null;
  }
}
