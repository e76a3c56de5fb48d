import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Scheduler } from '../../src/schedule/scheduler.js';
import { SlotClock } from '../../src/schedule/slots.js';

describe('SlotClock (pure croner arithmetic)', () => {
  it('gives the next slot in the connector time zone', () => {
    const clock = new SlotClock('0 9 * * 1-5', 'Europe/Paris');
    expect(clock.next(new Date('2026-03-06T09:00:00Z'))?.toISOString()).toBe('2026-03-09T08:00:00.000Z'); // Friday 10:00 Paris → Monday 09:00
    expect(new SlotClock('0 9 * * *', 'America/New_York').next(new Date('2026-07-01T00:00:00Z'))?.toISOString()).toBe('2026-07-01T13:00:00.000Z');
  });

  it('finds the latest slot in a window, for catch-up', () => {
    const clock = new SlotClock('*/15 * * * *');
    expect(clock.latestBetween(new Date('2026-01-01T10:01:00Z'), new Date('2026-01-01T10:50:00Z'))?.toISOString()).toBe('2026-01-01T10:45:00.000Z');
    expect(clock.latestBetween(new Date('2026-01-01T10:46:00Z'), new Date('2026-01-01T10:59:00Z'))).toBeNull();
  });
});

describe('Scheduler (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T10:00:30Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('fires each slot once, with the exact slot time', () => {
    const fired: Array<[string, string]> = [];
    const s = new Scheduler((id, slot) => fired.push([id, slot.toISOString()]));
    s.sync([{ id: 'a', schedule: '* * * * *' }, { id: 'b', schedule: '*/2 * * * *' }]);
    vi.advanceTimersByTime(3 * 60_000);
    expect(fired.sort()).toEqual([
      ['a', '2026-01-01T10:01:00.000Z'], ['a', '2026-01-01T10:02:00.000Z'], ['a', '2026-01-01T10:03:00.000Z'], ['b', '2026-01-01T10:02:00.000Z'],
    ]);
    s.stop();
  });

  it('re-syncing an unchanged job keeps it; a changed schedule takes effect at its next slot', () => {
    const fired: string[] = [];
    const s = new Scheduler((_id, slot) => fired.push(slot.toISOString()));
    expect(s.sync([{ id: 'a', schedule: '*/10 * * * *' }])).toEqual({ added: ['a'], changed: [], removed: [] });
    expect(s.sync([{ id: 'a', schedule: '*/10 * * * *' }])).toEqual({ added: [], changed: [], removed: [] });
    expect(s.nextRun('a')?.toISOString()).toBe('2026-01-01T10:10:00.000Z');
    expect(s.sync([{ id: 'a', schedule: '5 * * * *' }])).toEqual({ added: [], changed: ['a'], removed: [] });
    expect(s.nextRun('a')?.toISOString()).toBe('2026-01-01T10:05:00.000Z');
    vi.advanceTimersByTime(70 * 60_000);
    expect(fired).toEqual(['2026-01-01T10:05:00.000Z', '2026-01-01T11:05:00.000Z']);
    expect(s.sync([])).toEqual({ added: [], changed: [], removed: ['a'] });
    vi.advanceTimersByTime(120 * 60_000);
    expect(fired).toHaveLength(2);
  });

  it('a sync limited to some ids leaves the other jobs (and their timers) as they are', () => {
    const fired: string[] = [];
    const s = new Scheduler((id) => fired.push(id));
    s.sync([{ id: 'a', schedule: '*/10 * * * *' }, { id: 'b', schedule: '*/10 * * * *' }, { id: 'c', schedule: '*/10 * * * *' }]);
    // b changed, c is gone; a is outside the scope, so its absence from `wanted` does not remove it.
    expect(s.sync([{ id: 'b', schedule: '5 * * * *' }], new Set(['b', 'c']))).toEqual({ added: [], changed: ['b'], removed: ['c'] });
    expect(s.sync([{ id: 'd', schedule: '5 * * * *' }], new Set(['d']))).toEqual({ added: ['d'], changed: [], removed: [] });
    expect([s.size, s.nextRun('a')?.toISOString(), s.nextRun('b')?.toISOString(), s.nextRun('c')]).toEqual([3, '2026-01-01T10:10:00.000Z', '2026-01-01T10:05:00.000Z', null]);
    vi.advanceTimersByTime(10 * 60_000);
    expect(fired.sort()).toEqual(['a', 'b', 'd']);
    s.stop();
  });

  it('waits out delays longer than a timer can hold, and honours time zones across DST', () => {
    const fired: string[] = [];
    const s = new Scheduler((_id, slot) => fired.push(slot.toISOString()));
    s.sync([{ id: 'yearly', schedule: '0 2 1 4 *', timezone: 'Europe/Paris' }]);
    vi.advanceTimersByTime(100 * 86_400_000);
    expect(fired).toEqual(['2026-04-01T00:00:00.000Z']); // 02:00 CEST
    s.stop();
  });

  it('skips slots it fell far behind on (a suspended machine) instead of firing a burst', () => {
    const fired: string[] = [];
    let asleep = 0; // how far the wall clock ran ahead of the timers while the machine slept
    const s = new Scheduler((_id, slot) => fired.push(slot.toISOString()), () => new Date(Date.now() + asleep));
    s.sync([{ id: 'a', schedule: '* * * * *' }]);
    asleep = 60 * 60_000;
    vi.advanceTimersByTime(30_000); // the 10:01 timer fires, an hour late by the wall clock
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(60_000);
    expect(fired).toEqual(['2026-01-01T11:02:00.000Z']);
    s.stop();
  });
});
