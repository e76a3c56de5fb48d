import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Intervals } from '../../src/schedule/intervals.js';

describe('background loops', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a loop set again with the same interval keeps its rhythm; a new one restarts it; none stops it', () => {
    const loops = new Intervals();
    let ticks = 0;
    loops.set('pull', '60s', () => ticks++);
    vi.advanceTimersByTime(50_000);
    loops.set('pull', '60s', () => ticks++); // hub.yaml changed something else
    vi.advanceTimersByTime(10_000);
    expect(ticks).toBe(1);
    loops.set('pull', '10s', () => ticks++);
    vi.advanceTimersByTime(30_000);
    expect(ticks).toBe(4);
    loops.set('pull', undefined, () => ticks++); // remote disabled
    vi.advanceTimersByTime(60_000);
    expect(ticks).toBe(4);
    expect(loops.every('pull')).toBeUndefined();
  });

  it('stop ends the named loops, or every loop', () => {
    const loops = new Intervals();
    const ran: string[] = [];
    loops.set('commit', '5m', () => ran.push('commit'));
    loops.set('resync', '1m', () => ran.push('resync'));
    loops.stop(['resync']);
    vi.advanceTimersByTime(300_000);
    expect(ran).toEqual(['commit']);
    loops.stop();
    vi.advanceTimersByTime(600_000);
    expect(ran).toEqual(['commit']);
  });
});
