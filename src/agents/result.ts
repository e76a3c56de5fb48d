import type { AgentOutcome, ProcessResult } from './types.js';

/** The last lines of stderr, for a failure message. */
export function stderrSummary(p: ProcessResult, lines = 5): string {
  const tail = p.stderrTail.trim().split('\n').slice(-lines).join('\n');
  return tail ? `\nstderr: ${tail}` : '';
}

/** Failures every agent type shares: could not start, timed out, cancelled. */
export function processFailure(p: ProcessResult, command: string, timeout: string): AgentOutcome | undefined {
  if (p.spawnError) {
    return { ok: false, result: null, errorKind: 'spawn-error', error: `could not start ${command}: ${p.spawnError.message}` };
  }
  if (p.timedOut) {
    return { ok: false, result: p.stdout || null, errorKind: 'timeout', error: `timed out after ${timeout}; the agent's process group was stopped (SIGTERM, then SIGKILL)${stderrSummary(p)}` };
  }
  if (p.cancelled) return { ok: false, result: p.stdout || null, errorKind: 'cancelled', error: 'cancelled' };
  return undefined;
}

/** For `--dry-run` and messages: the argv as one shell-quoted line. */
export function shellLine(command: string, args: readonly string[]): string {
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [command, ...args].map(quote).join(' ');
}
