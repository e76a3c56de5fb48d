import type { ConnectorSpec } from '../../core/types.js';
import type { ErrorKind } from '../../registry/executions.js';
import type { SpawnResult } from '../process.js';

/** How to start an agent for one run. */
export interface Invocation {
  command: string;
  args: string[];
}

/** What a finished agent process amounted to. */
export interface AgentOutcome {
  ok: boolean;
  result: string | null;
  errorKind?: ErrorKind;
  error?: string;
  costUsd?: number | null;
  usage?: Record<string, unknown> | null;
  sessionId?: string | null;
  numTurns?: number | null;
  permissionDenials?: unknown[] | null;
}

/** An agent type: builds the argv, and reads the process result. Both pure. */
export interface Agent {
  invocation(spec: ConnectorSpec, ctx: { root: string; claudeCommand: string }): Invocation;
  interpret(spec: ConnectorSpec, p: SpawnResult): AgentOutcome;
}

/** The last lines of stderr, for a failure message. */
export function stderrSummary(p: SpawnResult, lines = 5): string {
  const tail = p.stderrTail.trim().split('\n').slice(-lines).join('\n');
  return tail ? `\nstderr: ${tail}` : '';
}

/** Failures every agent type shares: could not start, timed out, cancelled. */
export function processFailure(p: SpawnResult, command: string, timeout: string): AgentOutcome | undefined {
  if (p.spawnError) {
    return { ok: false, result: null, errorKind: 'spawn-error', error: `could not start ${command}: ${p.spawnError.message}` };
  }
  if (p.timedOut) {
    return { ok: false, result: p.stdout || null, errorKind: 'timeout', error: `timed out after ${timeout}; the agent's process group was stopped (SIGTERM, then SIGKILL)${stderrSummary(p)}` };
  }
  if (p.cancelled) return { ok: false, result: p.stdout || null, errorKind: 'cancelled', error: 'cancelled' };
  return undefined;
}
