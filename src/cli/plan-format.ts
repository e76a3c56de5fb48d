import { createTwoFilesPatch } from 'diff';
import { type Action, type Plan } from '../core/plan.js';
import type { ConnectorVersion } from '../core/types.js';
import { previewPrompt } from '../template/preview.js';
import { formatForecast } from '../review/forecast.js';
import { formatUsd } from '../review/money.js';
import { scheduleWords, type FieldChange } from '../review/changes.js';
import type { ConnectorReview, PreviousVersions, Review } from '../review/review.js';
import type { Risk } from '../review/risks.js';
import { HUB_ID, type HubReview } from '../review/hub-changes.js';
import { color } from './output.js';
import { actionLine, detail, errorLines, target } from './plan-lines.js';

export { detail, SIGN, target, VERB } from './plan-lines.js';

export type { PreviousVersions } from '../review/review.js';

/** A unified diff of the rendered prompts (default inputs, fixed clock); empty when they are equal. */
export function promptDiff(id: string, before: ConnectorVersion | undefined, after: ConnectorVersion | undefined): string {
  const a = before ? previewPrompt(before) : '';
  const b = after ? previewPrompt(after) : '';
  if (a === b) return '';
  const [from, to] = [before ? `a/${id}` : '/dev/null', after ? `b/${id}` : '/dev/null'];
  // A diff costs edits × length: past MAX_EDITS (prompts rewritten whole) it is shown as a replacement.
  const patch = createTwoFilesPatch(from, to, ensureNewline(a), ensureNewline(b), '', '', { context: 3, maxEditLength: MAX_EDITS }) ?? replacement(from, to, a, b);
  // Drop the ==== line and the empty header fields' trailing tabs.
  const lines = patch.split('\n').slice(1);
  return lines.map((l, i) => (i < 2 ? l.trimEnd() : l)).join('\n').trimEnd();
}

const MAX_EDITS = 1000;

/** Every old line removed, every new one added: the patch of a rewrite, made without diffing. */
function replacement(from: string, to: string, a: string, b: string): string {
  const la = a === '' ? [] : ensureNewline(a).slice(0, -1).split('\n');
  const lb = b === '' ? [] : ensureNewline(b).slice(0, -1).split('\n');
  return ['=', `--- ${from}`, `+++ ${to}`, `@@ -${la.length ? 1 : 0},${la.length} +${lb.length ? 1 : 0},${lb.length} @@`, ...la.map((l) => `-${l}`), ...lb.map((l) => `+${l}`)].join('\n');
}

function ensureNewline(s: string): string {
  return s === '' || s.endsWith('\n') ? s : `${s}\n`;
}

/** The one-line detail of an action with a review: fields changed, a new connector's schedule and runs per day. */
export function reviewedDetail(a: Action, r: ConnectorReview): string {
  if (a.kind === 'update') return `${r.changes.length} field${r.changes.length === 1 ? '' : 's'} changed`;
  if (a.kind === 'create' && r.renamedFrom) return `renamed from ${r.renamedFrom}: a new id, ${r.renamedFrom}'s history stays with it`;
  if (a.kind === 'create') return `${scheduleWords(a.version.spec, r.rates.after)}${a.reactivated ? ' (reactivated)' : ''}`;
  if (a.kind === 'remove' && r.renamedTo) return `renamed to ${r.renamedTo}: deactivated, history kept`;
  return detail(a);
}

/** "agent.permissionMode: default → bypassPermissions", with (none) for an absent side. */
export function changeLine(c: FieldChange): string {
  return `${c.field}: ${c.before ?? '(none)'} → ${c.after ?? '(none)'}`;
}

/** "3 settings changed": the one-line summary of a hub.yaml change. */
export function settingsChanged(hub: HubReview): string {
  return `${hub.changes.length} setting${hub.changes.length === 1 ? '' : 's'} changed`;
}

/** "digest: permission mode loosened: …", saying when the connector is new. */
export function riskLine(r: Risk): string {
  return `${r.id}${r.isNew ? ' (new)' : ''}: ${r.text}`;
}

/** "≈ $0.41/day → $9.84/day (1 connector without cost history)", "no cost history", or '' when nothing is forecast. */
export function totalLine(review: Review): string {
  const t = review.total;
  const missing = t.withoutHistory ? `${t.withoutHistory} connector${t.withoutHistory === 1 ? '' : 's'} without cost history` : '';
  if (!t.counted) return missing ? 'no cost history' : '';
  return `≈ ${formatUsd(t.before)}/day → ${formatUsd(t.after)}/day${missing ? ` (${missing})` : ''}`;
}

/**
 * The plan for a terminal: risky changes first (with a review), then one line a change with
 * its old → new fields and cost forecast, diagnostics under invalid files, prompt diffs with `diffs`.
 */
export function renderPlanText(p: Plan, opts: { past?: boolean; previous?: PreviousVersions; diffs?: boolean; review?: Review; hub?: HubReview } = {}): string {
  const previous = opts.previous ?? new Map();
  const review = opts.review;
  const lines: string[] = [];
  if (review?.risks.length) {
    lines.push(color.red(`Risky changes (${review.risks.length}):`), ...review.risks.map((r) => color.red(`  ! ${riskLine(r)}`)), '');
  }
  if (opts.hub) {
    lines.push(color.yellow(`~ update   ${HUB_ID.padEnd(24)} ${settingsChanged(opts.hub)}`), ...opts.hub.changes.map((c) => `    ${changeLine(c)}`));
  }
  for (const a of p.actions) {
    if (a.kind === 'unchanged') continue;
    const r = review?.connectors.get(target(a).id);
    lines.push(actionLine(a, { past: opts.past, summary: r ? reviewedDetail(a, r) : detail(a), cost: r ? formatForecast(r.forecast) : '' }), ...errorLines(a));
    if (r && (a.kind === 'update' || r.renamedFrom)) for (const c of r.changes) lines.push(`    ${changeLine(c)}`);
    else if (r && a.kind === 'create') for (const c of r.changes.filter((x) => x.field !== 'schedule')) lines.push(`    ${c.field}: ${c.after ?? '(none)'}`);
    if (opts.diffs && (a.kind === 'create' || a.kind === 'update')) {
      const diff = promptDiff(a.id, a.kind === 'update' ? previous.get(a.id) : r?.renamedFrom ? previous.get(r.renamedFrom) : undefined, a.version);
      if (diff) lines.push(diff.split('\n').map((l) => `    ${l}`).join('\n'));
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** The plan as data for `--json`; with a review, each change's fields, risks, runs per day and forecast. */
export function planToJson(p: Plan, review?: Review): Record<string, unknown> {
  return {
    counts: p.counts,
    actions: p.actions.map((a) => {
      const { id, file } = target(a);
      const base = { action: a.kind, id, file };
      if (a.kind === 'invalid') return { ...base, keepsLastGood: a.keepsLastGood, diagnostics: a.file.diagnostics };
      const r = review?.connectors.get(id);
      const extra = r ? { changes: r.changes, risks: r.risks.map((x) => ({ rule: x.rule, text: x.text })), runsPerDay: r.rates, forecast: r.forecast } : {};
      if (a.kind === 'create' || a.kind === 'update') return { ...base, specHash: a.file.specHash, ...extra };
      return { ...base, ...extra };
    }),
    ...(review ? { risks: review.risks, forecast: review.total } : {}),
  };
}
