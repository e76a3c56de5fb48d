import type { Action, Plan } from '../core/plan.js';
import { formatDiagnostic } from '../core/diagnostic.js';
import { shortHash } from '../spec/hash.js';
import { describeSchedule } from '../schedule/describe.js';
import { color } from './output.js';

// The plan's lines as apply prints them: light enough to load for every apply (the review,
// prompt diffs and their modules are plan-format.ts's, loaded by `plan` and `--json`).

/** The connector and file an action is about. */
export function target(a: Action): { id: string; file: string } {
  if (a.kind === 'remove') return { id: a.id, file: a.sourcePath };
  if (a.kind === 'invalid') return { id: a.id ?? '?', file: a.file.path };
  return { id: a.id, file: a.file.path };
}

/** The one-line detail of an action when there is no review (apply's output). */
export function detail(a: Action): string {
  switch (a.kind) {
    case 'create': return `${describeSchedule(a.version.spec.schedule, a.version.spec.timezone)}${a.reactivated ? ' (reactivated)' : ''}`;
    case 'update': return `version ${shortHash(a.previousHash)} → ${shortHash(a.file.specHash ?? '')}`;
    case 'remove': return 'file removed: deactivated, history kept';
    case 'invalid': return a.keepsLastGood ? 'last good version stays active' : 'not applied';
    case 'unchanged': return '';
  }
}

export const SIGN: Record<Action['kind'], string> = { create: '+', update: '~', remove: '-', invalid: '!', unchanged: ' ' };
export const VERB: Record<Action['kind'], [string, string]> = {
  create: ['create', 'created'], update: ['update', 'updated'], remove: ['remove', 'removed'], invalid: ['invalid', 'invalid'], unchanged: ['', ''],
};
const PAINT: Record<Action['kind'], (s: string) => string> = { create: color.green, update: color.yellow, remove: color.red, invalid: color.red, unchanged: (s) => s };

/** "+ create   digest   connectors/digest.yaml  At 09:00 (UTC)": one action, painted by its kind. */
export function actionLine(a: Action, opts: { past?: boolean; summary?: string; cost?: string } = {}): string {
  const { id, file } = target(a);
  const verb = VERB[a.kind][opts.past ? 1 : 0];
  const summary = opts.summary ?? detail(a);
  return PAINT[a.kind](`${SIGN[a.kind]} ${verb.padEnd(8)} ${id.padEnd(24)} ${file}  ${summary}${opts.cost ? `  ${opts.cost}` : ''}`.trimEnd());
}

/** An invalid file's errors, indented under its line. */
export function errorLines(a: Action): string[] {
  if (a.kind !== 'invalid') return [];
  return a.file.diagnostics.filter((x) => x.severity === 'error').map((d) => `    ${formatDiagnostic(d).replace(/\n/g, '\n    ')}`);
}

/** The plan as apply prints it: one line a change, the errors under invalid files. renderPlanText without a review, diffs or hub.yaml. */
export function renderActions(p: Plan, opts: { past?: boolean } = {}): string {
  const lines: string[] = [];
  for (const a of p.actions) {
    if (a.kind === 'unchanged') continue;
    lines.push(actionLine(a, opts), ...errorLines(a));
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
