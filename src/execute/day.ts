/** Milliseconds to add to UTC to get the wall-clock time of `timeZone` at `at`. */
function offsetMs(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  }).formatToParts(at);
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return wall - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant the day containing `at` began in `timeZone`: budgets reset at local midnight. */
export function startOfDay(at: Date, timeZone = 'UTC'): Date {
  const local = new Date(at.getTime() + offsetMs(at, timeZone));
  const midnightWall = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  // The offset at midnight can differ from now's (a DST change during the day).
  const guess = new Date(midnightWall - offsetMs(at, timeZone));
  return new Date(midnightWall - offsetMs(guess, timeZone));
}
