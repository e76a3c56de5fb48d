import type { Plan } from '../core/plan.js';
import type { ConnectorVersion } from '../core/types.js';
import { normalize, type SpecDefaults } from '../spec/normalize.js';
import { fieldChanges, type FieldChange, type Rates } from './changes.js';
import { forecast, scheduledRuns, totalForecast, type CostHistory, type Forecast } from './forecast.js';
import { runsPerDay } from './frequency.js';
import { risksOf, type Risk } from './risks.js';

/** Previous versions of the connectors a plan touches, to compare with. */
export type PreviousVersions = ReadonlyMap<string, ConnectorVersion>;

/** What a reviewer reads about one created, updated or removed connector. */
export interface ConnectorReview {
  id: string;
  /** For a new connector: what it sets that differs from the defaults. */
  changes: FieldChange[];
  risks: Risk[];
  rates: Rates;
  forecast: Forecast;
  /** A create whose file is a removed connector's, renamed (the id follows the file name): that connector's id. */
  renamedFrom?: string;
  /** A remove whose file was renamed into a created connector: that connector's id. */
  renamedTo?: string;
}

/** The review of a plan: per connector, every risk in one list, and the forecast's total. */
export interface Review {
  connectors: Map<string, ConnectorReview>;
  risks: Risk[];
  total: ReturnType<typeof totalForecast>;
}

export interface ReviewContext {
  previous: PreviousVersions;
  /** Median cost per run by connector id (registry or committed run records). */
  costs: ReadonlyMap<string, CostHistory>;
  root: string;
  /** hub.yaml `defaults:`: what a new connector inherits without asking (its timeout, its time zone). */
  defaults?: SpecDefaults;
  /** Runs per day are counted from here. */
  now?: Date;
}

/**
 * Reviews a plan: old → new for every changed field, the risky changes by the rules in
 * risks.ts, and the daily cost before and after. Reads nothing; the caller brings the history.
 */
export function reviewPlan(p: Plan, ctx: ReviewContext): Review {
  const now = ctx.now ?? new Date();
  const rate = (v: ConnectorVersion | undefined) => (v ? runsPerDay(v.spec.schedule, v.spec.timezone, now) : null);
  const connectors = new Map<string, ConnectorReview>();
  const renames = renamesIn(p, ctx.previous);
  const renamedTo = new Map([...renames].map(([to, from]) => [from, to]));
  for (const a of p.actions) {
    if (a.kind !== 'create' && a.kind !== 'update' && a.kind !== 'remove') continue;
    const from = a.kind === 'create' ? renames.get(a.id) : undefined;
    // A renamed file is compared with the connector it was, under its old id.
    const before = a.kind === 'create' ? (from ? ctx.previous.get(from) : undefined) : ctx.previous.get(a.id);
    const after = a.kind === 'remove' ? undefined : a.version;
    const rates = { before: rate(before), after: rate(after) };
    const to = a.kind === 'remove' ? renamedTo.get(a.id) : undefined;
    // Its spend moves with it: counted once, on the renamed connector, from the old one's history.
    const f = to ? { kind: 'none' as const } : forecast(scheduledRuns(before?.spec, rates.before), scheduledRuns(after?.spec, rates.after), before !== undefined, after !== undefined, ctx.costs.get(a.id) ?? (from ? ctx.costs.get(from) : undefined), { before: before?.spec.budget.maxCostUsdPerDay, after: after?.spec.budget.maxCostUsdPerDay });
    const changes = after ? fieldChanges(before ?? defaultsOf(after, ctx.defaults ?? {}), after, rates).filter((c) => before || c.field !== 'prompt') : [];
    const risks = after ? risksOf({ id: a.id, ...(before ? { before: before.spec } : {}), after: after.spec, reactivated: a.kind === 'create' && a.reactivated, root: ctx.root, rates, ...(ctx.defaults?.timeout ? { defaultTimeout: ctx.defaults.timeout } : {}) }) : [];
    connectors.set(a.id, { id: a.id, changes, risks, rates, forecast: f, ...(from ? { renamedFrom: from } : {}), ...(to ? { renamedTo: to } : {}) });
  }
  const all = [...connectors.values()];
  return { connectors, risks: all.flatMap((c) => c.risks), total: totalForecast(all.map((c) => c.forecast)) };
}

/** A connector of the same id and agent type that sets nothing: what a new one is compared with. */
function defaultsOf(v: ConnectorVersion, defaults: SpecDefaults): ConnectorVersion {
  return { spec: normalize({ agent: { type: v.spec.agent.type } }, v.spec.id, defaults), sourcePath: v.sourcePath, template: '', partials: {} };
}

/**
 * Created connectors that are removed ones under a new file name (and so a new id): the same
 * agent type and prompt template, and one candidate on each side. Created id → removed id.
 */
function renamesIn(p: Plan, previous: PreviousVersions): Map<string, string> {
  const key = (v: ConnectorVersion) => `${v.spec.agent.type}\0${v.template}`;
  const removed = new Map<string, string[]>();
  for (const a of p.actions) {
    if (a.kind !== 'remove') continue;
    const v = previous.get(a.id);
    if (v) removed.set(key(v), [...(removed.get(key(v)) ?? []), a.id]);
  }
  const created = new Map<string, string[]>();
  for (const a of p.actions) if (a.kind === 'create' && !a.reactivated) created.set(key(a.version), [...(created.get(key(a.version)) ?? []), a.id]);
  const out = new Map<string, string>();
  for (const [k, ids] of created) {
    const from = removed.get(k);
    if (ids.length === 1 && from?.length === 1) out.set(ids[0] as string, from[0] as string);
  }
  return out;
}
