import type { ConnectorSpec } from '../core/types.js';
import { formatUsd } from './money.js';

/** A connector's cost per run, from its recorded runs that have one. */
export interface CostHistory {
  medianUsd: number;
  runs: number;
}

/**
 * What a change does to a connector's daily spend: scheduled runs per day × its median cost
 * per run. `none` for a connector that is manual only on both sides (no forecast to make);
 * `no-history` when no run of it recorded a cost. A side the connector does not exist on is null.
 */
export type Forecast =
  | { kind: 'none' }
  | { kind: 'no-history' }
  | { kind: 'usd'; before: number | null; after: number | null; history: CostHistory; stopsAfter?: DayCap };

/** `budget.maxCostUsdPerDay` stops a connector's runs for the day after `runs` of the `of` scheduled. */
export interface DayCap {
  runs: number;
  of: number;
  maxUsd: number;
}

/** Scheduled runs a day a connector makes: 0 when disabled, null when manual only. */
export function scheduledRuns(spec: ConnectorSpec | undefined, perDay: number | null): number | null {
  if (!spec || perDay === null) return null;
  return spec.enabled ? perDay : 0;
}

/**
 * The forecast from the runs per day on each side (null: manual only or absent) and the cost
 * history, each side capped by its `budget.maxCostUsdPerDay`: the hub starts no run once the
 * day's spend reaches it, so a day makes runs until then and no more.
 */
export function forecast(before: number | null, after: number | null, existedBefore: boolean, existsAfter: boolean, history: CostHistory | undefined, maxPerDay: { before?: number | undefined; after?: number | undefined } = {}): Forecast {
  if (before === null && after === null) return { kind: 'none' };
  if (!history) return { kind: 'no-history' };
  const m = history.medianUsd;
  const cap = (runs: number, max: number | undefined): DayCap | undefined => {
    if (max === undefined || m <= 0 || runs * m <= max) return undefined;
    // Runs start while the day's spend is below the cap: the one that reaches it is the last.
    const n = Math.min(runs, Math.ceil(max / m - 1e-9));
    return n < runs ? { runs: n, of: runs, maxUsd: max } : undefined;
  };
  const usd = (runs: number | null, exists: boolean, max: number | undefined) => {
    if (!exists) return null;
    const c = cap(runs ?? 0, max);
    return (c ? c.runs : runs ?? 0) * m;
  };
  const stopsAfter = existsAfter ? cap(after ?? 0, maxPerDay.after) : undefined;
  return { kind: 'usd', before: usd(before, existedBefore, maxPerDay.before), after: usd(after, existsAfter, maxPerDay.after), history, ...(stopsAfter ? { stopsAfter } : {}) };
}

/** "≈ $0.41/day → $9.84/day", "≈ $9.84/day" for a new connector, "no cost history", "" for none. */
export function formatForecast(f: Forecast): string {
  if (f.kind === 'none') return '';
  if (f.kind === 'no-history') return 'no cost history';
  const day = (usd: number | null) => `${formatUsd(usd ?? 0)}/day`;
  const capped = f.stopsAfter ? ` (maxCostUsdPerDay stops it after ${f.stopsAfter.runs} of ${f.stopsAfter.of} runs)` : '';
  return `${f.before === null ? `≈ ${day(f.after)}` : `≈ ${day(f.before)} → ${day(f.after)}`}${capped}`;
}

/** The sum over forecasts in dollars, and how many changed connectors had no history to forecast from. */
export function totalForecast(forecasts: Forecast[]): { before: number; after: number; counted: number; withoutHistory: number } {
  let before = 0;
  let after = 0;
  let counted = 0;
  let withoutHistory = 0;
  for (const f of forecasts) {
    if (f.kind === 'no-history') withoutHistory++;
    if (f.kind !== 'usd') continue;
    before += f.before ?? 0;
    after += f.after ?? 0;
    counted++;
  }
  return { before, after, counted, withoutHistory };
}
