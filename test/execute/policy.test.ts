import { describe, expect, it } from 'vitest';
import { decideBudget, decideOverlap, decideRetry } from '../../src/execute/policy.js';

describe('overlap decision', () => {
  const base = { id: 's', trigger: 'api' as const, here: [] as string[], elsewhere: [] as string[] };

  it('runs when nothing else of the connector is unfinished, whatever the policy', () => {
    for (const policy of ['forbid', 'allow', 'replace'] as const) expect(decideOverlap({ ...base, policy })).toEqual({ run: true, replace: [] });
  });

  it('forbid refuses, naming the runs in the way', () => {
    expect(decideOverlap({ ...base, policy: 'forbid', here: ['r1'] })).toEqual({ run: false, running: ['r1'], message: 's is already running (r1) and its concurrency policy is forbid' });
  });

  it('allow runs side by side, even beside another process', () => {
    expect(decideOverlap({ ...base, policy: 'allow', here: ['r1'], elsewhere: ['r2'] })).toEqual({ run: true, replace: [] });
  });

  it('replace cancels the runs held here, but cannot replace one another process runs', () => {
    expect(decideOverlap({ ...base, policy: 'replace', here: ['r1', 'r2'] })).toEqual({ run: true, replace: ['r1', 'r2'] });
    expect(decideOverlap({ ...base, policy: 'replace', elsewhere: ['r9'] })).toMatchObject({ run: false, message: 's is already running in another agent-hub process (r9) and its concurrency policy is replace' });
  });

  it('a retry continues its run and is never refused', () => {
    expect(decideOverlap({ ...base, policy: 'forbid', trigger: 'retry', here: ['r1'], elsewhere: ['r2'] })).toEqual({ run: true, replace: [] });
  });
});

describe('budget decision', () => {
  it('runs without a daily budget, or below it', () => {
    expect(decideBudget({ budget: {}, spentToday: 1e6, inProgress: 9 })).toEqual({ run: true });
    expect(decideBudget({ budget: { maxCostUsdPerDay: 0.5 }, spentToday: 0.3, inProgress: 0 })).toEqual({ run: true });
  });

  it('stops at the day\'s limit until local midnight', () => {
    expect(decideBudget({ budget: { maxCostUsdPerDay: 0.5 }, timezone: 'Europe/Paris', spentToday: 0.6, inProgress: 0 }))
      .toEqual({ run: false, message: 'daily budget reached: $0.6000 spent today of $0.5 (budget.maxCostUsdPerDay); no new run until midnight Europe/Paris' });
  });

  it('holds maxCostUsdPerRun for each run in progress', () => {
    const budget = { maxCostUsdPerRun: 0.4, maxCostUsdPerDay: 1 };
    expect(decideBudget({ budget, spentToday: 0, inProgress: 2 })).toEqual({ run: true });
    expect(decideBudget({ budget, spentToday: 0, inProgress: 3 })).toMatchObject({ run: false, message: expect.stringContaining('$0.0000 spent today and $1.2000 held for runs in progress of $1') });
  });
});

describe('retry decision', () => {
  const retry = { attempts: 3, backoff: { initial: '10s', max: '25s', factor: 2 } };
  const failed = { status: 'failed' as const, errorKind: 'agent-error' as const };

  it('retries what another attempt may fix, with exponential backoff up to the cap, up to the attempts', () => {
    expect(decideRetry({ finish: failed, attempt: 1, retry, stopping: false })).toEqual({ retry: true, attempt: 2, delayMs: 10_000 });
    expect(decideRetry({ finish: { ...failed, errorKind: 'timeout' }, attempt: 2, retry: { ...retry, attempts: 4 }, stopping: false })).toEqual({ retry: true, attempt: 3, delayMs: 20_000 });
    expect(decideRetry({ finish: { ...failed, errorKind: 'invalid-output' }, attempt: 3, retry: { ...retry, attempts: 5 }, stopping: false })).toEqual({ retry: true, attempt: 4, delayMs: 25_000 });
    expect(decideRetry({ finish: failed, attempt: 3, retry, stopping: false })).toEqual({ retry: false });
  });

  it('never retries a success, what a retry cannot fix, a result that could not be saved, or while stopping', () => {
    expect(decideRetry({ finish: { status: 'success' }, attempt: 1, retry, stopping: false })).toEqual({ retry: false });
    for (const errorKind of ['spawn-error', 'budget', 'cancelled', 'interrupted'] as const) {
      expect(decideRetry({ finish: { ...failed, errorKind }, attempt: 1, retry, stopping: false })).toEqual({ retry: false });
    }
    expect(decideRetry({ finish: { ...failed, errorKind: 'invalid-output', retryable: false }, attempt: 1, retry, stopping: false })).toEqual({ retry: false });
    expect(decideRetry({ finish: failed, attempt: 1, retry, stopping: true })).toEqual({ retry: false });
  });
});
