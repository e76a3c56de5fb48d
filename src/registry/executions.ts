import { randomBytes } from 'node:crypto';
import { stmt, type Db } from './db.js';
import { canonicalJson } from '../spec/hash.js';

export type ExecutionStatus = 'pending' | 'running' | 'success' | 'failed';
export type Trigger = 'schedule' | 'manual' | 'api' | 'catch-up' | 'retry' | 'event';
export type ErrorKind = 'timeout' | 'agent-error' | 'invalid-output' | 'spawn-error' | 'interrupted' | 'budget' | 'cancelled' | 'worker-lost';

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
  /** The repository-relative file the result was saved to (output.saveTo), if it was. */
  savedTo: string | null;
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
  /** For a run an event started: the delivery id (X-GitHub-Delivery, Idempotency-Key). */
  deliveryId?: string | null;
  /** The committed transcript's file name, next to the run record (`<run-id>.transcript.jsonl`); null when not committed. */
  transcript: string | null;
  createdAt: string;
  /** For a retry waiting for its backoff: when it may start. */
  notBefore: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** The queue worker that ran it (name, host, pid, agent CLI version); null for a run in the hub's own process. */
  worker?: Record<string, unknown> | null;
}

/** A sortable, readable run id: `20261124-223501-9f3a0c1d`. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/**
 * The one mapping between an Execution and its row: field → column, and how the value is
 * stored (JSON text with sorted keys, a 0/1 flag, or as it is). Reading a row and writing
 * a restored run record both follow it, so a new column is added in one place.
 */
const COLUMNS: { readonly [K in keyof Execution]-?: readonly [column: string, codec?: 'json' | 'flag'] } = {
  id: ['id'], connectorId: ['connector_id'], status: ['status'], trigger: ['trigger'], attempt: ['attempt'], parentId: ['parent_id'],
  specHash: ['spec_hash'], gitCommit: ['git_commit'], scheduledFor: ['scheduled_for'], inputs: ['inputs', 'json'], renderedPrompt: ['rendered_prompt'],
  argv: ['argv', 'json'], result: ['result'], savedTo: ['saved_to'], outputTruncated: ['output_truncated', 'flag'], costUsd: ['cost_usd'], usage: ['usage', 'json'],
  sessionId: ['session_id'], numTurns: ['num_turns'], durationMs: ['duration_ms'], exitCode: ['exit_code'], errorKind: ['error_kind'], error: ['error'],
  validationErrors: ['validation_errors', 'json'], permissionDenials: ['permission_denials', 'json'], deliveryId: ['delivery_id'], transcript: ['transcript'],
  createdAt: ['created_at'], notBefore: ['not_before'], startedAt: ['started_at'], finishedAt: ['finished_at'], worker: ['worker', 'json'],
};
const FIELDS = Object.entries(COLUMNS) as Array<[keyof Execution, readonly [string, ('json' | 'flag')?]]>;

const json = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

function toExecution(r: Record<string, unknown>): Execution {
  const e: Record<string, unknown> = {};
  for (const [field, [column, codec]] of FIELDS) {
    const v = r[column];
    if (field === 'deliveryId' && v === null) continue; // only event runs carry one: other records stay as they were
    e[field] = codec === 'json' ? json(v as string | null) : codec === 'flag' ? v === 1 : v;
  }
  return e as unknown as Execution;
}

/** An Execution as the values of its row, in FIELDS order. */
function toRow(e: Partial<Record<keyof Execution, unknown>>): unknown[] {
  return FIELDS.map(([field, [, codec]]) => {
    const v = e[field];
    if (codec === 'json') return v === null || v === undefined ? null : canonicalJson(v);
    if (codec === 'flag') return v ? 1 : 0;
    return v ?? null;
  });
}

/** Writes a run as it was recorded (a run record read back by restore), replacing any row with its id. */
export function putExecution(db: Db, e: Execution): void {
  stmt(db, PUT_SQL).run(...toRow(e));
}
const PUT_SQL = `INSERT OR REPLACE INTO executions (${FIELDS.map(([, [column]]) => column).join(', ')}) VALUES (${FIELDS.map(() => '?').join(', ')})`;

/** The runs with these ids, as a commit message lists them. */
export function runSummaries(db: Db, ids: readonly string[]): Array<Pick<Execution, 'id' | 'connectorId' | 'status' | 'costUsd'>> {
  if (!ids.length) return [];
  return db.prepare(`SELECT id, connector_id AS connectorId, status, cost_usd AS costUsd FROM executions WHERE id IN (${ids.map(() => '?').join(',')})`).all(...ids) as Array<Pick<Execution, 'id' | 'connectorId' | 'status' | 'costUsd'>>;
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

/**
 * A run's start; with `agentProcess`, what finds its agent again after a crash (see
 * execute/orphans.ts; not part of the run's record), in the same write.
 */
export function markRunning(db: Db, id: string, fields: { startedAt: Date; renderedPrompt: string; argv: string[]; agentProcess?: object }): void {
  stmt(db, "UPDATE executions SET status = 'running', started_at = ?, rendered_prompt = ?, argv = ?, agent_process = COALESCE(?, agent_process) WHERE id = ?")
    .run(fields.startedAt.toISOString(), fields.renderedPrompt, canonicalJson(fields.argv), fields.agentProcess ? canonicalJson(fields.agentProcess) : null, id);
}

/** What a finished run records; every field optional but the status. */
export interface Finish {
  status: 'success' | 'failed';
  finishedAt: Date;
  startedAt?: Date;
  renderedPrompt?: string;
  result?: string | null;
  savedTo?: string | null;
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
  transcript?: string | null;
  /** False when running the agent again cannot help (not stored): its result is kept but could not be saved. */
  retryable?: boolean;
}

export function finishExecution(db: Db, id: string, f: Finish): void {
  stmt(db, `UPDATE executions SET status = @status, finished_at = @finishedAt, started_at = COALESCE(started_at, @startedAt),
      rendered_prompt = COALESCE(@renderedPrompt, rendered_prompt), result = @result, saved_to = @savedTo, output_truncated = @outputTruncated,
      cost_usd = @costUsd, usage = @usage, session_id = @sessionId, num_turns = @numTurns, duration_ms = @durationMs, exit_code = @exitCode,
      error_kind = @errorKind, error = @error, validation_errors = @validationErrors, permission_denials = @permissionDenials,
      transcript = @transcript
    WHERE id = @id`).run({
    id, status: f.status, finishedAt: f.finishedAt.toISOString(), startedAt: f.startedAt?.toISOString() ?? null,
    renderedPrompt: f.renderedPrompt ?? null, result: f.result ?? null, savedTo: f.savedTo ?? null, outputTruncated: f.outputTruncated ? 1 : 0,
    costUsd: f.costUsd ?? null, usage: f.usage ? canonicalJson(f.usage) : null, sessionId: f.sessionId ?? null, numTurns: f.numTurns ?? null,
    durationMs: f.durationMs ?? null, exitCode: f.exitCode ?? null, errorKind: f.errorKind ?? null, error: f.error ?? null,
    validationErrors: f.validationErrors ? canonicalJson(f.validationErrors) : null,
    permissionDenials: f.permissionDenials ? canonicalJson(f.permissionDenials) : null, transcript: f.transcript ?? null,
  });
}

export function getExecution(db: Db, id: string): Execution | undefined {
  const r = stmt(db, 'SELECT * FROM executions WHERE id = ?').get(id) as Record<string, unknown> | undefined;
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
  return (db.prepare(sql).all(...params, f.limit ?? 20) as Array<Record<string, unknown>>).map(toExecution);
}

/** Dollars a connector spent on runs created at or after `since`. */
export function spentSince(db: Db, connectorId: string, since: Date): number {
  const r = stmt(db, 'SELECT COALESCE(SUM(cost_usd), 0) AS total FROM executions WHERE connector_id = ? AND created_at >= ?').get(connectorId, since.toISOString()) as { total: number };
  return r.total;
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

/** Marks these runs, where still running, as failed (kind interrupted) with `error`; returns how many. */
export function interruptRuns(db: Db, ids: readonly string[], error: string, now = new Date()): number {
  return db.prepare(`UPDATE executions SET status = 'failed', error_kind = 'interrupted', finished_at = ?, error = ?
    WHERE status = 'running' AND id IN (SELECT value FROM json_each(?))`).run(now.toISOString(), error, JSON.stringify(ids)).changes;
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
