import { randomBytes } from 'node:crypto';
import { stmt, type Db } from './db.js';
import { canonicalJson } from '../spec/hash.js';

export type ExecutionStatus = 'pending' | 'running' | 'success' | 'failed';
export type Trigger = 'schedule' | 'manual' | 'api' | 'catch-up' | 'retry';
export type ErrorKind = 'timeout' | 'agent-error' | 'invalid-output' | 'spawn-error' | 'interrupted' | 'budget' | 'cancelled';

/** One run of a connector, as recorded. JSON fields are stored with sorted keys, as run files are. */
export interface Execution {
  id: string;
  connectorId: string;
  status: ExecutionStatus;
  trigger: Trigger;
  attempt: number;
  parentId: string | null;
  specHash: string | null;
  gitCommit: string | null;
  scheduledFor: string | null;
  inputs: Record<string, unknown> | null;
  renderedPrompt: string | null;
  argv: string[] | null;
  result: string | null;
  outputTruncated: boolean;
  costUsd: number | null;
  usage: Record<string, unknown> | null;
  sessionId: string | null;
  numTurns: number | null;
  durationMs: number | null;
  exitCode: number | null;
  errorKind: ErrorKind | null;
  error: string | null;
  validationErrors: unknown[] | null;
  permissionDenials: unknown[] | null;
  createdAt: string;
  /** For a retry waiting for its backoff: when it may start. */
  notBefore: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A sortable, readable run id: `20261124-223501-9f3a0c1d`. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

interface Raw {
  id: string; connector_id: string; status: ExecutionStatus; trigger: Trigger; attempt: number; parent_id: string | null;
  spec_hash: string | null; git_commit: string | null; scheduled_for: string | null; inputs: string | null; rendered_prompt: string | null;
  argv: string | null; result: string | null; output_truncated: number; cost_usd: number | null; usage: string | null; session_id: string | null;
  num_turns: number | null; duration_ms: number | null; exit_code: number | null; error_kind: ErrorKind | null; error: string | null;
  validation_errors: string | null; permission_denials: string | null; created_at: string; not_before: string | null; started_at: string | null; finished_at: string | null;
}

const json = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

function toExecution(r: Raw): Execution {
  return {
    id: r.id, connectorId: r.connector_id, status: r.status, trigger: r.trigger, attempt: r.attempt, parentId: r.parent_id,
    specHash: r.spec_hash, gitCommit: r.git_commit, scheduledFor: r.scheduled_for, inputs: json(r.inputs), renderedPrompt: r.rendered_prompt,
    argv: json(r.argv), result: r.result, outputTruncated: r.output_truncated === 1, costUsd: r.cost_usd, usage: json(r.usage),
    sessionId: r.session_id, numTurns: r.num_turns, durationMs: r.duration_ms, exitCode: r.exit_code, errorKind: r.error_kind, error: r.error,
    validationErrors: json(r.validation_errors), permissionDenials: json(r.permission_denials),
    createdAt: r.created_at, notBefore: r.not_before, startedAt: r.started_at, finishedAt: r.finished_at,
  };
}

export interface NewExecution {
  id: string;
  connectorId: string;
  trigger: Trigger;
  attempt: number;
  parentId: string | null;
  specHash: string;
  gitCommit: string | null;
  scheduledFor: Date | null;
  inputs: Record<string, unknown>;
  createdAt: Date;
  notBefore?: Date;
}

/**
 * Records a new pending run. For a scheduled slot (first attempt) the database refuses a
 * second row for the same connector and time: false means the slot was already taken.
 */
export function insertExecution(db: Db, e: NewExecution): boolean {
  const r = stmt(db, `INSERT INTO executions (id, connector_id, status, trigger, attempt, parent_id, spec_hash, git_commit, scheduled_for, inputs, created_at, not_before)
    VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
    .run(e.id, e.connectorId, e.trigger, e.attempt, e.parentId, e.specHash, e.gitCommit, e.scheduledFor?.toISOString() ?? null, canonicalJson(e.inputs), e.createdAt.toISOString(), e.notBefore?.toISOString() ?? null);
  return r.changes === 1;
}

export function markRunning(db: Db, id: string, fields: { startedAt: Date; renderedPrompt: string; argv: string[] }): void {
  stmt(db, "UPDATE executions SET status = 'running', started_at = ?, rendered_prompt = ?, argv = ? WHERE id = ?")
    .run(fields.startedAt.toISOString(), fields.renderedPrompt, canonicalJson(fields.argv), id);
}

/** What a finished run records; every field optional but the status. */
export interface Finish {
  status: 'success' | 'failed';
  finishedAt: Date;
  startedAt?: Date;
  renderedPrompt?: string;
  result?: string | null;
  outputTruncated?: boolean;
  costUsd?: number | null;
  usage?: Record<string, unknown> | null;
  sessionId?: string | null;
  numTurns?: number | null;
  durationMs?: number | null;
  exitCode?: number | null;
  errorKind?: ErrorKind | null;
  error?: string | null;
  validationErrors?: unknown[] | null;
  permissionDenials?: unknown[] | null;
  /** False when running the agent again cannot help (not stored): its result is kept but could not be saved. */
  retryable?: boolean;
}

export function finishExecution(db: Db, id: string, f: Finish): void {
  stmt(db, `UPDATE executions SET status = @status, finished_at = @finishedAt, started_at = COALESCE(started_at, @startedAt),
      rendered_prompt = COALESCE(@renderedPrompt, rendered_prompt), result = @result, output_truncated = @outputTruncated,
      cost_usd = @costUsd, usage = @usage, session_id = @sessionId, num_turns = @numTurns, duration_ms = @durationMs, exit_code = @exitCode,
      error_kind = @errorKind, error = @error, validation_errors = @validationErrors, permission_denials = @permissionDenials
    WHERE id = @id`).run({
    id, status: f.status, finishedAt: f.finishedAt.toISOString(), startedAt: f.startedAt?.toISOString() ?? null,
    renderedPrompt: f.renderedPrompt ?? null, result: f.result ?? null, outputTruncated: f.outputTruncated ? 1 : 0,
    costUsd: f.costUsd ?? null, usage: f.usage ? canonicalJson(f.usage) : null, sessionId: f.sessionId ?? null, numTurns: f.numTurns ?? null,
    durationMs: f.durationMs ?? null, exitCode: f.exitCode ?? null, errorKind: f.errorKind ?? null, error: f.error ?? null,
    validationErrors: f.validationErrors ? canonicalJson(f.validationErrors) : null,
    permissionDenials: f.permissionDenials ? canonicalJson(f.permissionDenials) : null,
  });
}

export function getExecution(db: Db, id: string): Execution | undefined {
  const r = stmt(db, 'SELECT * FROM executions WHERE id = ?').get(id) as Raw | undefined;
  return r && toExecution(r);
}

export interface ExecutionFilter {
  connectorId?: string;
  status?: ExecutionStatus;
  limit?: number;
}

/** Newest first. */
export function listExecutions(db: Db, f: ExecutionFilter = {}): Execution[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.connectorId) (where.push('connector_id = ?'), params.push(f.connectorId));
  if (f.status) (where.push('status = ?'), params.push(f.status));
  const sql = `SELECT * FROM executions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
  return (db.prepare(sql).all(...params, f.limit ?? 20) as Raw[]).map(toExecution);
}

/** Dollars a connector spent on runs created at or after `since`. */
export function spentSince(db: Db, connectorId: string, since: Date): number {
  const r = stmt(db, 'SELECT COALESCE(SUM(cost_usd), 0) AS total FROM executions WHERE connector_id = ? AND created_at >= ?').get(connectorId, since.toISOString()) as { total: number };
  return r.total;
}

/** Records how to find a running run's agent again (see execute/orphans.ts); not part of the run's record. */
export function recordAgentProcess(db: Db, id: string, agentProcess: object): void {
  stmt(db, 'UPDATE executions SET agent_process = ? WHERE id = ?').run(canonicalJson(agentProcess), id);
}

/** Runs recorded as running, with what was recorded about their agent process (null: nothing). */
export function runningAgents(db: Db): Array<{ id: string; agentProcess: unknown }> {
  const rows = db.prepare("SELECT id, agent_process FROM executions WHERE status = 'running'").all() as Array<{ id: string; agent_process: string | null }>;
  return rows.map((r) => ({ id: r.id, agentProcess: json<unknown>(r.agent_process) }));
}

/**
 * Marks runs left pending or running by a crash as failed (kind interrupted); returns how
 * many. Retries waiting for their backoff are not interrupted: they resume; neither are
 * the runs in `except` (another agent-hub process still runs them).
 */
export function failInterrupted(db: Db, now = new Date(), except: readonly string[] = []): number {
  return db.prepare(`UPDATE executions SET status = 'failed', error_kind = 'interrupted', finished_at = ?,
      error = 'the hub stopped before this run finished'
    WHERE (status = 'running' OR (status = 'pending' AND not_before IS NULL)) AND id NOT IN (SELECT value FROM json_each(?))`)
    .run(now.toISOString(), JSON.stringify(except)).changes;
}

/** Retries recorded and waiting for their backoff to end. */
export function waitingRetries(db: Db): Array<{ id: string; connectorId: string; notBefore: string }> {
  return db.prepare("SELECT id, connector_id AS connectorId, not_before AS notBefore FROM executions WHERE status = 'pending' AND not_before IS NOT NULL ORDER BY not_before").all() as Array<{ id: string; connectorId: string; notBefore: string }>;
}

/** The last slot the scheduler handled for a connector (for catch-up after downtime). */
export function lastSlot(db: Db, connectorId: string): Date | null {
  const r = stmt(db, 'SELECT last_slot FROM schedule_state WHERE connector_id = ?').get(connectorId) as { last_slot: string } | undefined;
  return r ? new Date(r.last_slot) : null;
}

export function recordSlot(db: Db, connectorId: string, slot: Date): void {
  stmt(db, `INSERT INTO schedule_state (connector_id, last_slot) VALUES (?, ?)
    ON CONFLICT(connector_id) DO UPDATE SET last_slot = MAX(last_slot, excluded.last_slot)`).run(connectorId, slot.toISOString());
}
