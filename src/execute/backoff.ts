import type { RetrySpec } from '../core/types.js';
import { durationMs } from '../core/duration.js';

/** Delay before attempt `next` (2 for the first retry): exponential from `initial`, capped at `max`. */
export function retryDelayMs(retry: RetrySpec, next: number): number {
  const { initial, max, factor } = retry.backoff;
  return Math.min(durationMs(initial) * factor ** Math.max(0, next - 2), durationMs(max));
}
