import type { ConnectorSpec, ConnectorVersion, InputSpec } from '../core/types.js';
import { canonicalJson } from '../spec/hash.js';
import { describeSchedule } from '../schedule/describe.js';
import { formatRate } from './frequency.js';
import { envValueShown } from './env.js';
import { formatUsd } from './money.js';

/** One changed field, in words: `before` is null for an added field, `after` for a removed one. */
export interface FieldChange {
  field: string;
  before: string | null;
  after: string | null;
}

/** Runs per day before and after, as runsPerDay gives them. */
export interface Rates {
  before: number | null;
  after: number | null;
}

/** Shown for a value too long for one line of a table (a system prompt, a JSON schema). */
const LONG = 80;

/**
 * Old → new for every field that differs between two versions, in words a reviewer reads:
 * the schedule with its runs per day, inputs and agent options one leaf at a time, env names
 * with `${NAME}` references but never a literal value, and `prompt` when the template changed.
 */
export function fieldChanges(before: ConnectorVersion, after: ConnectorVersion, rates: Rates): FieldChange[] {
  const out: FieldChange[] = [];
  const a = before.spec;
  const b = after.spec;
  if (a.schedule !== b.schedule || a.timezone !== b.timezone) {
    out.push({ field: 'schedule', before: scheduleWords(a, rates.before), after: scheduleWords(b, rates.after) });
  }
  const { schedule: _s, timezone: _t, prompt: _p, promptFile: _pf, agent: agentA, ...restA } = a;
  const { schedule: _s2, timezone: _t2, prompt: _p2, promptFile: _pf2, agent: agentB, ...restB } = b;
  const { env: envA, ...optsA } = agentA;
  const { env: envB, ...optsB } = agentB;
  walk(restA, restB, '', out);
  walk(optsA, optsB, 'agent', out);
  out.push(...envChanges(envA, envB));
  if (a.promptFile !== b.promptFile) out.push({ field: 'promptFile', before: a.promptFile ?? null, after: b.promptFile ?? null });
  if (before.template !== after.template || canonicalJson(before.partials) !== canonicalJson(after.partials)) {
    out.push({ field: 'prompt', before: '(template)', after: '(changed: see the rendered diff)' });
  }
  if (before.sourcePath !== after.sourcePath) out.push({ field: 'file', before: before.sourcePath, after: after.sourcePath });
  return out.sort((x, y) => order(x.field) - order(y.field));
}

/** "At 09:00 (UTC), 1/day"; "manual only". */
export function scheduleWords(spec: Pick<ConnectorSpec, 'schedule' | 'timezone'>, rate: number | null): string {
  if (!spec.schedule) return 'manual only';
  return `${describeSchedule(spec.schedule, spec.timezone)}, ${formatRate(rate)}`;
}

// The order a reviewer scans: when it runs, whether, with what, then the rest.
const ORDER = ['schedule', 'on', 'enabled', 'agent', 'env', 'budget', 'inputs', 'output', 'deliver', 'retry', 'concurrency', 'catchUp', 'prompt'];
function order(field: string): number {
  const top = field.startsWith('agent.env') ? 'env' : field.split('.')[0] as string;
  const i = ORDER.indexOf(top);
  return i < 0 ? ORDER.length : i;
}

function walk(a: unknown, b: unknown, at: string, out: FieldChange[]): void {
  if (canonicalJson(a) === canonicalJson(b)) return;
  const bothObjects = isObject(a) && isObject(b);
  // An input is shown whole when added or removed, leaf by leaf when changed; output.schema only as "changed".
  if (!bothObjects || at === 'output.schema') {
    out.push({ field: at, before: show(a, at), after: show(b, at) });
    return;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of [...keys].sort()) walk(a[k], b[k], at ? `${at}.${k}` : k, out);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown, at: string): string | null {
  if (v === undefined) return at === 'agent.permissionMode' ? 'default' : null;
  if (at.startsWith('budget.') && typeof v === 'number') return formatUsd(v);
  if (at === 'output.schema') return '(JSON schema)';
  if (/^inputs\.[^.]+$/.test(at) && isObject(v)) return describeInput(v as unknown as InputSpec);
  if (at === 'enabled') return v ? 'enabled' : 'disabled';
  // An input's default as JSON: "7" and 7 differ.
  if (/^inputs\.[^.]+\.(default|enum)$/.test(at)) return JSON.stringify(v);
  if (typeof v === 'string') return v.length > LONG ? `${v.slice(0, LONG - 1)}…` : v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return `[${v.join(', ')}]`;
  const json = JSON.stringify(v);
  return json.length > LONG ? `${json.slice(0, LONG - 1)}…` : json;
}

/** "string, default \"cats\", required". */
function describeInput(i: InputSpec): string {
  const parts: string[] = [i.type];
  if (i.default !== undefined) parts.push(`default ${JSON.stringify(i.default)}`);
  if (i.required) parts.push('required');
  if (i.enum) parts.push(`one of ${i.enum.map((x) => JSON.stringify(x)).join(', ')}`);
  return parts.join(', ');
}

/** Env names added, removed or changed; a value only when it is a `${NAME}` reference. */
function envChanges(a: Record<string, string>, b: Record<string, string>): FieldChange[] {
  const out: FieldChange[] = [];
  for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[name];
    const y = b[name];
    if (x === y) continue;
    const field = `agent.env.${name}`;
    if (x === undefined) out.push({ field, before: null, after: envValueShown(y as string) ?? '(value set)' });
    else if (y === undefined) out.push({ field, before: envValueShown(x) ?? '(value set)', after: null });
    else {
      out.push({ field, before: envValueShown(x) ?? '(a value)', after: envValueShown(y) ?? '(value changed)' });
    }
  }
  return out;
}
