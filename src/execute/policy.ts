import type { ConnectorSpec, RetrySpec } from '../core/types.js';
import type { ErrorKind, Finish, Trigger } from '../registry/executions.js';
import { retryDelayMs } from './backoff.js';

// The hub's decisions about a run, as pure functions over what it counted: the same rules
// whichever backend runs the agents, testable with plain data.

export type OverlapDecision =
  | { run: true; /** Runs to cancel first (`concurrency: replace`). */ replace: string[] }
  | { run: false; message: string; running: string[] };

/**
 * May a new run of a connector start while others are unfinished? `here` are runs this hub
 * holds (queued or running), `elsewhere` runs another agent-hub process is executing, which
 * cannot be replaced from here. A retry continues its run and is never refused.
 */
export function decideOverlap(p: { id: string; policy: ConnectorSpec['concurrency']; trigger: Trigger; here: string[]; elsewhere: string[] }): OverlapDecision {
  const { here, elsewhere } = p;
  if ((!here.length && !elsewhere.length) || p.trigger === 'retry' || p.policy === 'allow') return { run: true, replace: [] };
  if (p.policy === 'forbid' || elsewhere.length) {
    const where = elsewhere.length ? ` in another agent-hub process (${elsewhere.join(', ')})` : ` (${here.join(', ')})`;
    return { run: false, message: `${p.id} is already running${where} and its concurrency policy is ${p.policy}`, running: [...here, ...elsewhere] };
  }
  return { run: true, replace: here };
}

export type BudgetDecision = { run: true } | { run: false; message: string };

/**
 * May a run start today? Runs in progress may each still spend up to `maxCostUsdPerRun`:
 * that is held as spent, so runs side by side cannot overshoot the day together.
 */
export function decideBudget(p: { budget: ConnectorSpec['budget']; timezone?: string | undefined; spentToday: number; inProgress: number }): BudgetDecision {
  const perDay = p.budget.maxCostUsdPerDay;
  if (perDay === undefined) return { run: true };
  const reserved = p.inProgress * (p.budget.maxCostUsdPerRun ?? 0);
  if (p.spentToday + reserved < perDay) return { run: true };
  const held = reserved ? ` and $${reserved.toFixed(4)} held for runs in progress` : '';
  return { run: false, message: `daily budget reached: $${p.spentToday.toFixed(4)} spent today${held} of $${perDay} (budget.maxCostUsdPerDay); no new run until midnight ${p.timezone ?? 'UTC'}` };
}

/** Failures another attempt may fix; a missing program, a budget stop or a cancel will not be. */
const RETRYABLE: ReadonlySet<ErrorKind> = new Set(['agent-error', 'timeout', 'invalid-output', 'worker-lost']);

export type RetryDecision = { retry: false } | { retry: true; attempt: number; delayMs: number };

/** Whether an attempt that ended with `f` gets another, and after how long. None once the hub is stopping. */
export function decideRetry(p: { finish: Pick<Finish, 'status' | 'errorKind' | 'retryable'>; attempt: number; retry: RetrySpec; stopping: boolean }): RetryDecision {
  const { finish: f } = p;
  if (f.status !== 'failed' || !f.errorKind || (!RETRYABLE.has(f.errorKind) && f.retryable !== true) || f.retryable === false || p.stopping) return { retry: false };
  const next = p.attempt + 1;
  if (next > p.retry.attempts) return { retry: false };
  return { retry: true, attempt: next, delayMs: retryDelayMs(p.retry, next) };
}
