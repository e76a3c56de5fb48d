import { createTwoFilesPatch } from 'diff';
import { planSummary, type Action, type Plan } from '../core/plan.js';
import type { ConnectorVersion } from '../core/types.js';
import { formatDiagnostic } from '../core/diagnostic.js';
import { canonicalJson, shortHash } from '../spec/hash.js';
import { describeSchedule } from '../schedule/describe.js';
import { previewPrompt } from '../template/preview.js';
import { color } from './output.js';

/** Previous versions of updated connectors, to diff against. */
export type PreviousVersions = ReadonlyMap<string, ConnectorVersion>;

/** Dotted paths of the fields that differ between two versions (`schedule`, `agent.model`, `prompt`). */
export function changedFields(before: ConnectorVersion, after: ConnectorVersion): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, at: string) => {
    if (canonicalJson(a) === canonicalJson(b)) return;
    const objects = a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b);
    if (!objects) {
      out.push(at);
      return;
    }
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const k of [...keys].sort()) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k);
  };
  const { prompt: _p, promptFile: _pf, ...specA } = before.spec;
  const { prompt: _q, promptFile: _qf, ...specB } = after.spec;
  walk(specA, specB, '');
  if (before.template !== after.template || canonicalJson(before.partials) !== canonicalJson(after.partials)) out.push('prompt');
  if (before.sourcePath !== after.sourcePath) out.push('file');
  return out;
}

/** A unified diff of the rendered prompts (default inputs, fixed clock); empty when they are equal. */
export function promptDiff(id: string, before: ConnectorVersion | undefined, after: ConnectorVersion | undefined): string {
  const a = before ? previewPrompt(before) : '';
  const b = after ? previewPrompt(after) : '';
  if (a === b) return '';
  const patch = createTwoFilesPatch(before ? `a/${id}` : '/dev/null', after ? `b/${id}` : '/dev/null', ensureNewline(a), ensureNewline(b), '', '', { context: 3 });
  // Drop the ==== line and the empty header fields' trailing tabs.
  const lines = patch.split('\n').slice(1);
  return lines.map((l, i) => (i < 2 ? l.trimEnd() : l)).join('\n').trimEnd();
}

function ensureNewline(s: string): string {
  return s === '' || s.endsWith('\n') ? s : `${s}\n`;
}

function target(a: Action): { id: string; file: string } {
  if (a.kind === 'remove') return { id: a.id, file: a.sourcePath };
  if (a.kind === 'invalid') return { id: a.id ?? '?', file: a.file.path };
  return { id: a.id, file: a.file.path };
}

function detail(a: Action, previous: PreviousVersions): string {
  switch (a.kind) {
    case 'create': return `${describeSchedule(a.version.spec.schedule, a.version.spec.timezone)}${a.reactivated ? ' (reactivated)' : ''}`;
    case 'update': {
      const before = previous.get(a.id);
      return before ? `changed: ${changedFields(before, a.version).join(', ')}` : `version ${shortHash(a.previousHash)} → ${shortHash(a.file.specHash ?? '')}`;
    }
    case 'remove': return 'file removed: deactivated, history kept';
    case 'invalid': return a.keepsLastGood ? 'last good version stays active' : 'not applied';
    case 'unchanged': return '';
  }
}

const SIGN: Record<Action['kind'], string> = { create: '+', update: '~', remove: '-', invalid: '!', unchanged: ' ' };
const VERB: Record<Action['kind'], [string, string]> = {
  create: ['create', 'created'], update: ['update', 'updated'], remove: ['remove', 'removed'], invalid: ['invalid', 'invalid'], unchanged: ['', ''],
};
const PAINT: Record<Action['kind'], (s: string) => string> = { create: color.green, update: color.yellow, remove: color.red, invalid: color.red, unchanged: (s) => s };

/** The plan for a terminal: one line a change, diagnostics under invalid files, prompt diffs with `diffs`. */
export function renderPlanText(p: Plan, opts: { past?: boolean; previous?: PreviousVersions; diffs?: boolean } = {}): string {
  const previous = opts.previous ?? new Map();
  const lines: string[] = [];
  for (const a of p.actions) {
    if (a.kind === 'unchanged') continue;
    const { id, file } = target(a);
    const verb = VERB[a.kind][opts.past ? 1 : 0];
    lines.push(PAINT[a.kind](`${SIGN[a.kind]} ${verb.padEnd(8)} ${id.padEnd(24)} ${file}  ${detail(a, previous)}`.trimEnd()));
    if (a.kind === 'invalid') for (const d of a.file.diagnostics.filter((x) => x.severity === 'error')) lines.push(`    ${formatDiagnostic(d).replace(/\n/g, '\n    ')}`);
    if (opts.diffs && (a.kind === 'create' || a.kind === 'update')) {
      const diff = promptDiff(a.id, a.kind === 'update' ? previous.get(a.id) : undefined, a.version);
      if (diff) lines.push(diff.split('\n').map((l) => `    ${l}`).join('\n'));
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** The plan as a pull-request comment: a table, then each changed prompt's diff in a fold. */
export function renderPlanMarkdown(p: Plan, previous: PreviousVersions, baseLabel: string): string {
  const out = [`### agent-hub plan: ${planSummary(p)}`, '', `Compared with ${baseLabel}.`, ''];
  const changes = p.actions.filter((a) => a.kind !== 'unchanged');
  if (changes.length === 0) return `${out.join('\n')}No changes.\n`;
  out.push('| | connector | file | details |', '|---|---|---|---|');
  for (const a of changes) {
    const { id, file } = target(a);
    out.push(`| ${VERB[a.kind][0]} | \`${id}\` | \`${file}\` | ${detail(a, previous).replace(/\|/g, '\\|')} |`);
  }
  for (const a of changes) {
    if (a.kind === 'invalid') {
      out.push('', `<details open><summary>❌ <code>${a.file.path}</code> is invalid</summary>`, '', '```', ...a.file.diagnostics.map(formatDiagnostic), '```', '</details>');
    }
    if (a.kind === 'create' || a.kind === 'update') {
      const diff = promptDiff(a.id, a.kind === 'update' ? previous.get(a.id) : undefined, a.version);
      if (diff) out.push('', `<details><summary>Rendered prompt of <code>${a.id}</code> (default inputs)</summary>`, '', '```diff', diff.replace(/```/g, '`\u200b``'), '```', '</details>');
    }
  }
  return `${out.join('\n')}\n`;
}

/** The plan as data for `--json`. */
export function planToJson(p: Plan): Record<string, unknown> {
  return {
    counts: p.counts,
    actions: p.actions.map((a) => {
      const { id, file } = target(a);
      const base = { action: a.kind, id, file };
      if (a.kind === 'invalid') return { ...base, keepsLastGood: a.keepsLastGood, diagnostics: a.file.diagnostics };
      if (a.kind === 'create' || a.kind === 'update') return { ...base, specHash: a.file.specHash };
      return base;
    }),
  };
}
