import { planSummary, type Action, type Plan } from '../core/plan.js';
import { formatDiagnostic } from '../core/diagnostic.js';
import { formatForecast } from '../review/forecast.js';
import { formatRate } from '../review/frequency.js';
import { formatUsd } from '../review/money.js';
import type { Review } from '../review/review.js';
import { promptDiff, reviewedDetail, settingsChanged, target, totalLine, VERB, type PreviousVersions } from './plan-format.js';
import { HUB_ID, type HubReview } from '../review/hub-changes.js';

/** The hidden line a CI job finds its previous plan comment by, to update it instead of adding one. */
export const PLAN_MARKER = '<!-- agent-hub-plan -->';

const ICON: Record<Action['kind'], string> = { create: '🆕', update: '✏️', remove: '🗑️', invalid: '❌', unchanged: '' };

/** Text that reads as itself in Markdown and HTML: no emphasis, links or tags from a value. */
function md(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/([\\`*_[\]|~#$])/g, '\\$1');
}

/** Text inside an HTML block (a <summary> line), where Markdown escapes would show as they are. */
function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A fenced block whose fence no line inside can close. */
function fence(lang: string, body: string): string[] {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return [`${f}${lang}`, body, f];
}

/** GitHub refuses comments over 65,536 characters; GitLab notes allow more. Room is left for the notes below. */
export const COMMENT_LIMIT = 60_000;

/**
 * The plan as a pull-request comment a reviewer scans: the marker, a summary line, the risky
 * changes, then one fold per connector with its fields old → new, cost and prompt diff. Kept
 * under COMMENT_LIMIT: without prompt diffs, then with fewer folds, each time saying so.
 */
export function renderPlanMarkdown(p: Plan, previous: PreviousVersions, baseLabel: string, review: Review, hub?: HubReview): string {
  const full = render(p, previous, baseLabel, review, { diffs: true, hub });
  if (full.length <= COMMENT_LIMIT) return full;
  const again = 'run `agent-hub plan` with the same `--base` to see everything';
  const lean = render(p, previous, baseLabel, review, { diffs: false, hub, note: `Prompt diffs are left out to keep this comment short enough to post: ${again}.` });
  if (lean.length <= COMMENT_LIMIT) return lean;
  let folds = p.actions.filter((a) => a.kind !== 'unchanged').length;
  let risks = review.risks.length;
  let out = lean;
  // Fewer folds first; the risky changes go last, and only when there is no fold left to drop.
  while (out.length > COMMENT_LIMIT && (folds > 0 || risks > 0)) {
    if (folds > 0) folds = Math.floor(folds / 2);
    else risks = Math.floor(risks / 2);
    out = render(p, previous, baseLabel, review, { diffs: false, hub, folds, risks, note: `Prompt diffs and some connectors are left out to keep this comment short enough to post: ${again}.` });
  }
  return out;
}

function render(p: Plan, previous: PreviousVersions, baseLabel: string, review: Review, opts: { diffs: boolean; hub?: HubReview | undefined; folds?: number; risks?: number; note?: string }): string {
  const changes = p.actions.filter((a) => a.kind !== 'unchanged');
  const facts = [`compared with ${baseLabel}`];
  if (review.risks.length) facts.push(`**⚠️ ${review.risks.length} risky change${review.risks.length === 1 ? '' : 's'}**`);
  const total = totalLine(review);
  if (total) facts.push(md(review.total.counted ? `cost ${total}` : total));
  const out = [PLAN_MARKER, `### agent-hub plan: ${planSummary(p)}${opts.hub ? ', hub.yaml changed' : ''}`, '', `${facts.join(' · ')}`, ''];
  if (changes.length === 0 && !opts.hub) return `${out.join('\n')}No changes.\n`;
  if (opts.note) out.push(`> ${opts.note}`, '');
  if (review.risks.length) {
    const listed = review.risks.slice(0, opts.risks ?? review.risks.length);
    out.push('#### ⚠️ Risky changes', '', ...listed.map((r) => `- \`${r.id}\`${r.isNew ? ' (new)' : ''}: ${md(r.text)}`));
    if (listed.length < review.risks.length) out.push(`- … and ${review.risks.length - listed.length} more`);
    out.push('');
  }
  if (opts.hub) out.push(...hubFold(opts.hub), '');
  const shown = changes.slice(0, opts.folds ?? changes.length);
  for (const a of shown) out.push(...fold(a, previous, review, opts.diffs), '');
  if (shown.length < changes.length) out.push(`… and ${changes.length - shown.length} more connector${changes.length - shown.length === 1 ? '' : 's'}.`);
  return `${out.join('\n').trimEnd()}\n`;
}

function fold(a: Action, previous: PreviousVersions, review: Review, diffs: boolean): string[] {
  const { id, file } = target(a);
  const r = review.connectors.get(id);
  const bits = [`${ICON[a.kind]} ${VERB[a.kind][0]} <code>${html(id)}</code> (${html(file)})`];
  if (r) bits.push(html(reviewedDetail(a, r)));
  if (r?.risks.length) bits.push(`⚠️ ${r.risks.length} risky`);
  const cost = r ? formatForecast(r.forecast) : '';
  if (cost) bits.push(html(cost));
  const head = `<details${a.kind === 'invalid' ? ' open' : ''}><summary>${bits.join(' · ')}</summary>`;
  const body: string[] = [];
  if (a.kind === 'invalid') body.push(...fence('', a.file.diagnostics.map(formatDiagnostic).join('\n')));
  if (r && (a.kind === 'update' || r.renamedFrom) && r.changes.length) {
    body.push('| field | before | after |', '|---|---|---|', ...r.changes.map((c) => `| ${md(c.field)} | ${md(c.before ?? '(none)')} | ${md(c.after ?? '(none)')} |`));
  }
  const settings = r && a.kind === 'create' && !r.renamedFrom ? r.changes.filter((c) => c.field !== 'schedule') : [];
  if (settings.length) body.push('| field | value |', '|---|---|', ...settings.map((c) => `| ${md(c.field)} | ${md(c.after ?? '(none)')} |`));
  if (r?.forecast.kind === 'usd') {
    const h = r.forecast.history;
    const cap = r.forecast.stopsAfter;
    const stops = cap ? `; budget.maxCostUsdPerDay ${md(formatUsd(cap.maxUsd))} stops it after ${cap.runs} run${cap.runs === 1 ? '' : 's'} a day` : '';
    body.push('', `Cost: ${md(formatRate(r.rates.before))} → ${md(formatRate(r.rates.after))} scheduled × median ${md(formatUsd(h.medianUsd))} a run (its last ${h.runs} run${h.runs === 1 ? '' : 's'} with a cost)${stops}.`);
  }
  if (diffs && (a.kind === 'create' || a.kind === 'update')) {
    const diff = promptDiff(a.id, a.kind === 'update' ? previous.get(a.id) : r?.renamedFrom ? previous.get(r.renamedFrom) : undefined, a.version);
    if (diff) body.push('', 'Rendered prompt (default inputs):', '', ...fence('diff', diff));
  }
  while (body[0] === '') body.shift();
  return [head, '', ...body, '</details>'];
}

/** hub.yaml's changed settings, one fold like a connector's. */
function hubFold(hub: HubReview): string[] {
  const bits = [`⚙️ update <code>${HUB_ID}</code>`, settingsChanged(hub)];
  if (hub.risks.length) bits.push(`⚠️ ${hub.risks.length} risky`);
  const rows = hub.changes.map((c) => `| ${md(c.field)} | ${md(c.before ?? '(none)')} | ${md(c.after ?? '(none)')} |`);
  return [`<details><summary>${bits.join(' · ')}</summary>`, '', '| setting | before | after |', '|---|---|---|', ...rows, '</details>'];
}
