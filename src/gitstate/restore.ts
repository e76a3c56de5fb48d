import { existsSync, renameSync } from 'node:fs';
import type { Db } from '../registry/db.js';
import { dbPath, openDb } from '../registry/db.js';
import type { HubConfig } from '../spec/hub-config.js';
import { parseRunRecord, REGISTRY_DIR, RUNS_DIR } from './records.js';
import { loadSnapshot } from './snapshot.js';
import { registryChanged } from '../registry/connectors.js';
import { canonicalJson } from '../spec/hash.js';
import { stateTarget } from './state.js';

export interface RestoreResult {
  connectors: number;
  runs: number;
  /** Where the database that was there before went, if there was one. */
  previous?: string;
}

const COLUMNS: Record<string, string> = {
  id: 'id', connectorId: 'connector_id', status: 'status', trigger: 'trigger', attempt: 'attempt', parentId: 'parent_id',
  specHash: 'spec_hash', gitCommit: 'git_commit', scheduledFor: 'scheduled_for', inputs: 'inputs', renderedPrompt: 'rendered_prompt',
  argv: 'argv', result: 'result', outputTruncated: 'output_truncated', costUsd: 'cost_usd', usage: 'usage', sessionId: 'session_id',
  numTurns: 'num_turns', durationMs: 'duration_ms', exitCode: 'exit_code', errorKind: 'error_kind', error: 'error',
  validationErrors: 'validation_errors', permissionDenials: 'permission_denials', createdAt: 'created_at', notBefore: 'not_before', startedAt: 'started_at', finishedAt: 'finished_at',
};
const JSON_FIELDS = new Set(['inputs', 'argv', 'usage', 'validationErrors', 'permissionDenials']);

/**
 * Rebuilds `.agent-hub/hub.db` from the committed state: the registry snapshot, then every
 * run record. An existing database is moved aside, never deleted.
 */
export async function restore(root: string, config: HubConfig, now = new Date()): Promise<RestoreResult> {
  const files = await stateTarget(root, config).readState();
  if (!files.has(`${REGISTRY_DIR}/meta.json`)) throw new Error(`no registry snapshot under ${REGISTRY_DIR}/${config.state?.branch ? ` on branch ${config.state.branch}` : ''}: nothing to restore from`);
  const file = dbPath(root);
  let previous: string | undefined;
  if (existsSync(file)) {
    previous = `${file}.${now.toISOString().replace(/[:.]/g, '-')}.bak`;
    renameSync(file, previous);
    for (const ext of ['-wal', '-shm']) if (existsSync(file + ext)) renameSync(file + ext, previous + ext);
  }
  const db = openDb(file);
  try {
    return { ...restoreInto(db, files), ...(previous ? { previous } : {}) };
  } finally {
    db.close();
  }
}

/** Loads committed state (snapshot, then run records) into an empty, migrated database. */
export function restoreInto(db: Db, files: ReadonlyMap<string, string>): { connectors: number; runs: number } {
  let runs = 0;
  registryChanged(db);
  db.transaction(() => {
    loadSnapshot(db, files);
    const cols = Object.values(COLUMNS);
    const insert = db.prepare(`INSERT OR REPLACE INTO executions (${cols.join(', ')}, output) VALUES (${cols.map(() => '?').join(', ')}, ?)`);
    for (const [rel, text] of files) {
      if (!rel.startsWith(`${RUNS_DIR}/`) || !rel.endsWith('.json')) continue;
      const e = parseRunRecord(text) as unknown as Record<string, unknown>;
      const values = Object.keys(COLUMNS).map((k) => {
        const v = e[k];
        if (JSON_FIELDS.has(k)) return v === null || v === undefined ? null : canonicalJson(v);
        if (typeof v === 'boolean') return v ? 1 : 0;
        return v ?? null;
      });
      insert.run(...(values as never[]), (e.result as string | null) ?? null);
      runs++;
    }
  })();
  const connectors = (db.prepare('SELECT COUNT(*) AS n FROM connectors').get() as { n: number }).n;
  return { connectors, runs };
}
