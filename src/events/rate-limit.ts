/** At most `runs` events per `perMs` for each key (a connector), over a sliding window. In memory: a restart forgets it. */
export class RateLimiter {
  private readonly seen = new Map<string, number[]>();

  /** Takes one event for `key` when the window has room; otherwise says when the next one would fit (ms). */
  take(key: string, runs: number, perMs: number, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    const times = (this.seen.get(key) ?? []).filter((t) => t > now - perMs);
    if (times.length >= runs) {
      this.seen.set(key, times);
      return { ok: false, retryAfterMs: Math.max(1, (times[0] as number) + perMs - now) };
    }
    times.push(now);
    this.seen.set(key, times);
    return { ok: true };
  }
}
