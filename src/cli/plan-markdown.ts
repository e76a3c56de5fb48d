import { planSummary, type Action, type Plan } from '../core/plan.js';
import { formatDiagnostic } from '../core/diagnostic.js';
import { formatForecast } from '../review/forecast.js';
import { formatRate } from '../review/frequency.js';
import { formatUsd } from '../review/money.js';
import type { Review } from '../review/review.js';
import { promptDiff, reviewedDetail, target, totalLine, VERB, type PreviousVersions } from './plan-format.js';

/** The hidden line a CI job finds its previous plan comment by, to update it instead of adding one. */
export const PLAN_MARKER = '<!-- agent-hub-plan -->';

const ICON: Record<Action['kind'], string> = { create: '🆕', update: '✏️', remove: '🗑️', invalid: '❌', unchanged: '' };

/** Text that reads as itself in Markdown and HTML: no emphasis, links or tags from a value. */
function md(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/([\\`*_[\]|~#])/g, '\\$1');
}

/** A fenced block whose fence no line inside can close. */
function fence(lang: string, body: string): string[] {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return [`${f}${lang}`, body, f];
}

/**
 * The plan as a pull-request comment a reviewer scans: the marker, a summary line, the risky
 * changes, then one fold per connector with its fields old → new, cost and prompt diff.
 */
export function renderPlanMarkdown(p: Plan, previous: PreviousVersions, baseLabel: string, review: Review): string {
  const changes = p.actions.filter((a) => a.kind !== 'unchanged');
  const facts = [`compared with ${baseLabel}`];
  if (review.risks.length) facts.push(`**⚠️ ${review.risks.length} risky change${review.risks.length === 1 ? '' : 's'}**`);
  const total = totalLine(review);
  if (total) facts.push(review.total.counted ? `cost ${total}` : total);
  const out = [PLAN_MARKER, `### agent-hub plan: ${planSummary(p)}`, '', `${facts.join(' · ')}`, ''];
  if (changes.length === 0) return `${out.join('\n')}No changes.\n`;
  if (review.risks.length) {
    out.push('#### ⚠️ Risky changes', '', ...review.risks.map((r) => `- \`${r.id}\`${r.isNew ? ' (new)' : ''}: ${md(r.text)}`), '');
  }
  for (const a of changes) out.push(...fold(a, previous, review), '');
  return `${out.join('\n').trimEnd()}\n`;
}

function fold(a: Action, previous: PreviousVersions, review: Review): string[] {
  const { id, file } = target(a);
  const r = review.connectors.get(id);
  const bits = [`${ICON[a.kind]} ${VERB[a.kind][0]} <code>${md(id)}</code> (${md(file)})`];
  if (r) bits.push(md(reviewedDetail(a, r)));
  if (r?.risks.length) bits.push(`⚠️ ${r.risks.length} risky`);
  const cost = r ? formatForecast(r.forecast) : '';
  if (cost) bits.push(md(cost));
  const head = `<details${a.kind === 'invalid' ? ' open' : ''}><summary>${bits.join(' · ')}</summary>`;
  const body: string[] = [];
  if (a.kind === 'invalid') body.push(...fence('', a.file.diagnostics.map(formatDiagnostic).join('\n')));
  if (r && a.kind === 'update' && r.changes.length) {
    body.push('| field | before | after |', '|---|---|---|', ...r.changes.map((c) => `| ${md(c.field)} | ${md(c.before ?? '(none)')} | ${md(c.after ?? '(none)')} |`));
  }
  const settings = r && a.kind === 'create' ? r.changes.filter((c) => c.field !== 'schedule') : [];
  if (settings.length) body.push('| field | value |', '|---|---|', ...settings.map((c) => `| ${md(c.field)} | ${md(c.after ?? '(none)')} |`));
  if (r?.forecast.kind === 'usd') {
    const h = r.forecast.history;
    body.push('', `Cost: ${md(formatRate(r.rates.before))} → ${md(formatRate(r.rates.after))} scheduled × median ${formatUsd(h.medianUsd)} a run (its last ${h.runs} run${h.runs === 1 ? '' : 's'} with a cost).`);
  }
  if (a.kind === 'create' || a.kind === 'update') {
    const diff = promptDiff(a.id, a.kind === 'update' ? previous.get(a.id) : undefined, a.version);
    if (diff) body.push('', 'Rendered prompt (default inputs):', '', ...fence('diff', diff));
  }
  while (body[0] === '') body.shift();
  return [head, '', ...body, '</details>'];
}
