import path from 'node:path';
import type { ConnectorSpec } from '../core/types.js';
import { canonicalJson } from '../spec/hash.js';
import { parseDuration } from '../core/duration.js';
import { accessOf, modeRank, type Access } from './access.js';
import type { Rates } from './changes.js';
import { formatNumber, formatRate } from './frequency.js';
import { formatUsd } from './money.js';
import { eventRisks } from '../events/risks.js';

/** What a risk rule looks at: one connector before and after the change. */
export interface RiskSubject {
  id: string;
  /** Absent for a new connector: it is judged against a connector with every default. */
  before?: ConnectorSpec;
  after: ConnectorSpec;
  /** The file came back after being removed: a create that revives a connector. */
  reactivated: boolean;
  /** The repository root, to tell whether a directory is inside it. */
  root: string;
  rates: Rates;
  /** hub.yaml `defaults.timeout`, what a new connector gets without asking; 5m when unset. */
  defaultTimeout?: string;
}

/** One risky change of one connector: "permission mode loosened: default → bypassPermissions". */
export interface Risk {
  id: string;
  rule: string;
  text: string;
  /** The connector is new: the risk is what it starts with. */
  isNew: boolean;
}

/** A rule returns what it finds risky, in words, old → new; nothing when the change is safe. */
export type RiskRule = (s: RiskSubject) => string[];

/** A new connector is compared with this: what a connector gets when it asks for nothing. */
const DEFAULT_TIMEOUT = '5m';
/** A new connector running more often than hourly is worth a look. */
const NEW_FREQUENCY_LIMIT = 24;
/** Tools that only read: a new connector allowing them is not flagged (an update adding them is). */
const READ_ONLY_TOOLS = new Set(['Read', 'Glob', 'Grep', 'LS']);

const claude = (spec: ConnectorSpec | undefined): boolean => spec === undefined || spec.agent.type === 'claude';
const access = (spec: ConnectorSpec | undefined): Access => (spec ? accessOf(spec.agent) : accessOf({ type: 'claude', env: {}, timeout: DEFAULT_TIMEOUT }));
const added = (a: string[], b: string[]): string[] => b.filter((x) => !a.includes(x));

const permissionMode: RiskRule = ({ before, after }) => {
  if (!claude(after)) return [];
  const a = access(claude(before) ? before : undefined).permissionMode;
  const b = access(after).permissionMode;
  return modeRank(b) > modeRank(a) ? [`permission mode loosened: ${a} → ${b}`] : [];
};

const tools: RiskRule = ({ before, after }) => {
  if (!claude(after)) return [];
  const a = access(claude(before) ? before : undefined);
  const b = access(after);
  const out: string[] = [];
  const allowed = added(a.allowedTools, b.allowedTools).filter((t) => before !== undefined || !READ_ONLY_TOOLS.has(t));
  if (allowed.length) out.push(`tools widened: allowedTools + ${allowed.join(', ')}`);
  const undenied = added(b.disallowedTools, a.disallowedTools);
  if (undenied.length) out.push(`tools widened: disallowedTools − ${undenied.join(', ')}`);
  const mcp = added(a.mcpConfig, b.mcpConfig);
  if (mcp.length) out.push(`MCP servers added: mcpConfig ${mcp.join(', ')}`);
  const dirs = added(a.addDirs, b.addDirs);
  if (dirs.length) out.push(`directories opened: addDirs + ${dirs.join(', ')}`);
  return out;
};

const cwd: RiskRule = ({ before, after, root }) => {
  const inside = (dir: string | undefined): boolean => {
    if (dir === undefined) return false;
    const rel = path.relative(root, path.resolve(root, dir));
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  };
  const where = (dir: string | undefined) => dir ?? '(a temporary directory)';
  return inside(after.agent.cwd) && !inside(before?.agent.cwd) ? [`cwd moved into the repository: ${where(before?.agent.cwd)} → ${after.agent.cwd}`] : [];
};

const env: RiskRule = ({ before, after }) => {
  const names = added(Object.keys(before?.agent.env ?? {}), Object.keys(after.agent.env)).sort();
  return names.length ? [`env added: ${names.join(', ')}`] : [];
};

const budget: RiskRule = ({ before, after }) => {
  if (!before) return [];
  const out: string[] = [];
  for (const key of ['maxCostUsdPerRun', 'maxCostUsdPerDay'] as const) {
    const a = before.budget[key];
    const b = after.budget[key];
    if (a === undefined) continue;
    if (b === undefined) out.push(`budget removed: ${key} ${formatUsd(a)} → (none)`);
    else if (b > a) out.push(`budget raised: ${key} ${formatUsd(a)} → ${formatUsd(b)}`);
  }
  return out;
};

const timeout: RiskRule = ({ before, after, defaultTimeout }) => {
  const a = before?.agent.timeout ?? defaultTimeout ?? DEFAULT_TIMEOUT;
  const b = after.agent.timeout;
  return (parseDuration(b) ?? 0) > (parseDuration(a) ?? 0) ? [`timeout raised: ${a} → ${b}`] : [];
};

const frequency: RiskRule = ({ before, after, rates }) => {
  const { before: a, after: b } = rates;
  // A disabled connector makes no runs; enabling it later is flagged by itself.
  if (b === null || b === 0 || !after.enabled) return [];
  if (!before) return b > NEW_FREQUENCY_LIMIT ? [`runs ${formatRate(b)}`] : [];
  if (a === null || a === 0) return [`now scheduled: ${formatRate(a)} → ${formatRate(b)}`];
  // A rounding step is no change; anything more is.
  return b > a * 1.01 ? [`schedule frequency up ${formatNumber(b / a)}×: ${formatRate(a)} → ${formatRate(b)}`] : [];
};

const argv: RiskRule = ({ before, after }) => {
  const show = (v: string[] | undefined) => `[${(v ?? []).join(' ')}]`;
  if (after.agent.type === 'command') {
    const a = before?.agent.type === 'command' ? before.agent.command : undefined;
    if (canonicalJson(a ?? null) === canonicalJson(after.agent.command ?? null)) return [];
    return [a ? `command argv changed: ${show(a)} → ${show(after.agent.command)}` : `runs the command ${show(after.agent.command)}`];
  }
  const a = before?.agent.args ?? [];
  const b = after.agent.args ?? [];
  return canonicalJson(a) === canonicalJson(b) ? [] : [`extra agent args changed: ${show(a)} → ${show(b)}`];
};

const enabled: RiskRule = ({ before, after, reactivated }) => {
  if (!after.enabled) return [];
  if (before && !before.enabled) return ['re-enabled: disabled → enabled'];
  return reactivated ? ['reactivated: its file was removed before and is back'] : [];
};

/**
 * Every risk rule, in the order risks are listed. A feature that adds a way for a connector
 * to act (event triggers, deliveries) adds its rule here.
 */
export const RISK_RULES: ReadonlyArray<{ name: string; check: RiskRule }> = [
  { name: 'permission-mode', check: permissionMode },
  { name: 'tools', check: tools },
  { name: 'cwd', check: cwd },
  { name: 'env', check: env },
  { name: 'budget', check: budget },
  { name: 'timeout', check: timeout },
  { name: 'frequency', check: frequency },
  { name: 'argv', check: argv },
  { name: 'enabled', check: enabled },
  // Triggers that start runs from outside and deliveries that act with the hub's credentials.
  { name: 'events', check: ({ before, after }) => eventRisks(before, after).map((r) => r.message) },
];

/** The risks of one connector's change, by every rule. */
export function risksOf(s: RiskSubject, rules = RISK_RULES): Risk[] {
  return rules.flatMap((r) => r.check(s).map((text) => ({ id: s.id, rule: r.name, text, isNew: s.before === undefined })));
}
