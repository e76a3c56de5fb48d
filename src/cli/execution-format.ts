import { tokenCounts } from '../core/usage.js';
import { describeWorker } from '../core/worker.js';
import type { Execution } from '../registry/executions.js';
import { color, table } from './output.js';

const money = (n: number | null) => (n === null ? '-' : `$${n.toFixed(4)}`);
const seconds = (ms: number | null) => (ms === null ? '-' : ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`);
const paint = (status: string) => (status === 'success' ? color.green(status) : status === 'failed' ? color.red(status) : color.yellow(status));

/** `tokens 2400 in, 52 out, 100 cache read, 0 cache creation`, from the agent's main-loop usage; none when it reported none. */
function tokens(usage: Record<string, unknown> | null): string | undefined {
  const t = tokenCounts(usage);
  if (!t) return undefined;
  const counts = ([[t.in, 'in'], [t.out, 'out'], [t.cacheRead, 'cache read'], [t.cacheCreation, 'cache creation']] as const)
    .flatMap(([n, label]) => (n === undefined ? [] : [[n, label] as const]));
  // A call that never reached the model (not logged in) used none: nothing to say.
  return counts.some(([n]) => n > 0) ? `tokens ${counts.map(([n, label]) => `${n} ${label}`).join(', ')}` : undefined;
}

/** A run for people: the result, or the error, with what it cost and where it was saved. `short` leaves out the prompt. */
export function describeExecution(e: Execution, opts: { short?: boolean } = {}): string {
  const lines = [
    `run ${e.id}  ${e.connectorId}  ${paint(e.status)}${e.errorKind ? ` (${e.errorKind})` : ''}`,
    `trigger ${e.trigger}${e.attempt > 1 ? `, attempt ${e.attempt} of run ${e.parentId}` : ''}${e.scheduledFor ? `, slot ${e.scheduledFor}` : ''}`,
    `started ${e.startedAt ?? '-'}  took ${seconds(e.durationMs)}  cost ${money(e.costUsd)}${e.numTurns !== null ? `  turns ${e.numTurns}` : ''}${e.sessionId ? `  session ${e.sessionId}` : ''}`,
  ];
  const used = tokens(e.usage);
  if (used) lines.push(used);
  if (e.savedTo) lines.push(`saved to ${e.savedTo}`);
  if (e.worker) lines.push(`worker ${describeWorker(e.worker)}`);
  if (!opts.short) {
    lines.push(`version ${e.specHash?.slice(0, 12) ?? '-'}${e.gitCommit ? ` @${e.gitCommit.slice(0, 7)}` : ''}`);
    if (e.inputs && Object.keys(e.inputs).length) lines.push(`inputs ${JSON.stringify(e.inputs)}`);
    if (e.argv) lines.push(`argv ${JSON.stringify(e.argv)}`);
    if (e.renderedPrompt) lines.push('', color.bold('prompt'), e.renderedPrompt.trimEnd());
  }
  if (e.permissionDenials?.length) lines.push('', color.yellow(`${e.permissionDenials.length} tool call(s) denied by permissions:`), ...e.permissionDenials.map((d) => `  ${JSON.stringify(d)}`));
  if (e.error) lines.push('', color.red('error'), e.error.trimEnd());
  if (e.result) lines.push('', color.bold('result'), e.result.trimEnd());
  return `${lines.join('\n')}\n`;
}

/** The history table, newest first. */
export function historyTable(rows: Execution[]): string {
  return `${table(
    ['RUN', 'CONNECTOR', 'STATUS', 'TRIGGER', 'STARTED', 'DURATION', 'COST', 'ERROR'],
    rows.map((e) => [e.id, e.connectorId, paint(e.status), e.attempt > 1 ? `${e.trigger} #${e.attempt}` : e.trigger, e.startedAt ?? e.createdAt, seconds(e.durationMs), money(e.costUsd), e.errorKind ?? '']),
  )}\n`;
}
