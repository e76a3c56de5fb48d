/**
 * Schema versions, applied in order and recorded in `PRAGMA user_version`. Version 1 is the
 * original design (three tables, four statuses); later ones only add, so an older database
 * opens, migrates, and keeps every row.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the original design. `prompt` and `config` are written empty now: the `spec` column
  // (version 2 on) holds both, and the copies doubled each row (a cold apply of 5,000
  // connectors wrote ~8 MB more); older databases and snapshots that hold them still load.
  `CREATE TABLE connectors (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     description TEXT,
     schedule TEXT,
     prompt TEXT NOT NULL,
     config TEXT NOT NULL DEFAULT '{}',
     enabled INTEGER NOT NULL DEFAULT 1,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE executions (
     id TEXT PRIMARY KEY,
     connector_id TEXT NOT NULL REFERENCES connectors(id),
     status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'success', 'failed')),
     started_at TEXT,
     finished_at TEXT,
     output TEXT,
     error TEXT,
     created_at TEXT NOT NULL
   );
   CREATE INDEX executions_connector ON executions(connector_id, created_at);
   CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,

  // 2: connectors as versioned code: the applied spec, its hash, where it came from, its last error.
  // connector_versions.spec holds a version's text once it is superseded; the current
  // version's row holds '' (its text is connectors.spec), so a cold apply writes each text
  // once. Rows written before that hold their text from the start; both read alike.
  `ALTER TABLE connectors ADD COLUMN spec TEXT;
   ALTER TABLE connectors ADD COLUMN spec_hash TEXT;
   ALTER TABLE connectors ADD COLUMN source_path TEXT;
   ALTER TABLE connectors ADD COLUMN git_commit TEXT;
   ALTER TABLE connectors ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE connectors ADD COLUMN applied_at TEXT;
   ALTER TABLE connectors ADD COLUMN last_error TEXT;
   ALTER TABLE connectors ADD COLUMN last_error_at TEXT;
   CREATE TABLE connector_versions (
     connector_id TEXT NOT NULL REFERENCES connectors(id),
     spec_hash TEXT NOT NULL,
     spec TEXT NOT NULL,
     source_path TEXT NOT NULL,
     git_commit TEXT,
     applied_at TEXT NOT NULL,
     PRIMARY KEY (connector_id, spec_hash, applied_at)
   );
   CREATE TABLE sources (
     path TEXT PRIMARY KEY,
     source_hash TEXT NOT NULL,
     deps TEXT NOT NULL DEFAULT '[]',
     connector_id TEXT,
     spec_hash TEXT,
     diagnostics TEXT NOT NULL DEFAULT '[]',
     -- size, mtime and inode of the file and its deps: unchanged ones are not even read again.
     stat TEXT,
     checked_at TEXT NOT NULL
   );`,

  // 3: executions with everything a run records.
  `ALTER TABLE executions ADD COLUMN trigger TEXT NOT NULL DEFAULT 'manual';
   ALTER TABLE executions ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE executions ADD COLUMN parent_id TEXT;
   ALTER TABLE executions ADD COLUMN spec_hash TEXT;
   ALTER TABLE executions ADD COLUMN git_commit TEXT;
   ALTER TABLE executions ADD COLUMN scheduled_for TEXT;
   ALTER TABLE executions ADD COLUMN inputs TEXT;
   ALTER TABLE executions ADD COLUMN rendered_prompt TEXT;
   ALTER TABLE executions ADD COLUMN result TEXT;
   ALTER TABLE executions ADD COLUMN cost_usd REAL;
   ALTER TABLE executions ADD COLUMN usage TEXT;
   ALTER TABLE executions ADD COLUMN session_id TEXT;
   ALTER TABLE executions ADD COLUMN num_turns INTEGER;
   ALTER TABLE executions ADD COLUMN duration_ms INTEGER;
   ALTER TABLE executions ADD COLUMN exit_code INTEGER;
   ALTER TABLE executions ADD COLUMN error_kind TEXT CHECK (error_kind IN
     ('timeout', 'agent-error', 'invalid-output', 'spawn-error', 'interrupted', 'budget', 'cancelled'));
   ALTER TABLE executions ADD COLUMN permission_denials TEXT;
   CREATE UNIQUE INDEX executions_slot ON executions(connector_id, scheduled_for)
     WHERE scheduled_for IS NOT NULL AND attempt = 1;
   CREATE INDEX executions_status ON executions(status, created_at);`,

  // 4: what the executor records beyond the product's list, and the scheduler's memory.
  `ALTER TABLE executions ADD COLUMN argv TEXT;
   ALTER TABLE executions ADD COLUMN output_truncated INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE executions ADD COLUMN validation_errors TEXT;
   -- The last scheduled slot of each connector, so catch-up after downtime survives restarts.
   CREATE TABLE schedule_state (
     connector_id TEXT PRIMARY KEY,
     last_slot TEXT NOT NULL
   );`,

  // 5: files written for git (run records, snapshot, saveTo outputs) and not committed yet.
  `CREATE TABLE git_pending (
     path TEXT PRIMARY KEY,
     kind TEXT NOT NULL CHECK (kind IN ('run', 'output', 'snapshot')),
     run_id TEXT,
     added_at TEXT NOT NULL
   );`,

  // 6: a retry is recorded when it is scheduled, so it survives a restart.
  `ALTER TABLE executions ADD COLUMN not_before TEXT;`,

  // 7: a run's text is stored once, in result. The original design's output column held a
  // copy of it (a 1 KB result filled a page: the database was three times its size); a row
  // from before result existed keeps its text, moved to result.
  `UPDATE executions SET result = output WHERE result IS NULL AND output IS NOT NULL;
   UPDATE executions SET output = NULL WHERE output = result;`,

  // 8: the newest runs without a filter (dashboard, history, the API) read by index, not by sorting every row.
  `CREATE INDEX executions_created ON executions(created_at, id);`,

  // 9: how to find a running run's agent again (pid, start time, boot, and the agent-hub
  // process that started it), so the start after a crash stops it instead of letting it run on.
  `ALTER TABLE executions ADD COLUMN agent_process TEXT;`,

  // 10: scheduled slots that did not become runs (overlap, budget…), counted per connector and
  // reason with the last one, so "why didn't it run?" has an answer in status, the API and /metrics.
  `CREATE TABLE skipped_slots (
     connector_id TEXT NOT NULL,
     reason TEXT NOT NULL,
     count INTEGER NOT NULL,
     last_at TEXT NOT NULL,
     last_slot TEXT,
     last_message TEXT NOT NULL,
     PRIMARY KEY (connector_id, reason)
   );`,

  // ux: where a run's result was written (output.saveTo rendered), so the run, its record and
  // `show` say which file it made. Null for runs that saved nothing and runs from before.
  `ALTER TABLE executions ADD COLUMN saved_to TEXT;`,

  // events (issue 13): a run started by an event records its delivery id; the event itself
  // (for the template and retries) is kept beside the run; every delivery id a hook took,
  // so a replay starts nothing; the outbox of deliveries (each attempt recorded); alerts
  // open per incident, so one incident raises one alert and one recovery message.
  `ALTER TABLE executions ADD COLUMN delivery_id TEXT;
   CREATE TABLE hook_deliveries (
     key TEXT PRIMARY KEY,
     received_at TEXT NOT NULL,
     runs TEXT NOT NULL
   );
   CREATE TABLE run_events (
     run_id TEXT PRIMARY KEY,
     event TEXT NOT NULL
   );
   CREATE TABLE delivery_outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     run_id TEXT,
     connector_id TEXT,
     kind TEXT NOT NULL,
     target TEXT NOT NULL,
     payload TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
     attempts INTEGER NOT NULL DEFAULT 0,
     next_at TEXT NOT NULL,
     last_error TEXT,
     created_at TEXT NOT NULL,
     sent_at TEXT
   );
   CREATE INDEX delivery_outbox_due ON delivery_outbox(status, next_at);
   CREATE INDEX delivery_outbox_run ON delivery_outbox(run_id);
   CREATE TABLE delivery_attempts (
     outbox_id INTEGER NOT NULL,
     attempt INTEGER NOT NULL,
     at TEXT NOT NULL,
     outcome TEXT NOT NULL,
     detail TEXT,
     PRIMARY KEY (outbox_id, attempt)
   );
   CREATE TABLE alerts (
     key TEXT PRIMARY KEY,
     rule TEXT NOT NULL,
     subject TEXT NOT NULL,
     opened_at TEXT NOT NULL,
     count INTEGER NOT NULL,
     last_message TEXT NOT NULL
   );`,

  // speed (11 at the time of writing): the small columns every reconcile reads of every
  // connector (the schedule list, the observed state), in an index that covers them, so
  // those scans do not read each row's spec, prompt and config copies: with 5,000
  // connectors the table is ~29 MB, more than SQLite's page cache, and each scan read it all.
  `CREATE INDEX connectors_live ON connectors(id, spec_hash, active, enabled, schedule, source_path, last_error_at)
     WHERE spec IS NOT NULL;`,

  // queue (BullMQ workers): the worker that ran a run (name, host, pid, agent CLI version, as
  // JSON), and results that came for a run already recorded (a stalled job that still ended),
  // counted, never recorded as a second success or charge.
  `ALTER TABLE executions ADD COLUMN worker TEXT;
   ALTER TABLE executions ADD COLUMN duplicate_results INTEGER NOT NULL DEFAULT 0;`,

  // transcripts: a run lists its committed transcript (<run-id>.transcript.jsonl next to its
  // record); a connector paused at runtime (agent-hub pause), with who paused it and when,
  // drifting from git until resumed.
  `ALTER TABLE executions ADD COLUMN transcript TEXT;
   CREATE TABLE connector_pauses (
     connector_id TEXT PRIMARY KEY,
     paused_by TEXT NOT NULL,
     paused_at TEXT NOT NULL,
     reason TEXT
   );`,

  // worker-lost: a run whose queue worker went silent (killed, its machine gone) is its own
  // error kind, retried like an agent error. SQLite cannot change a CHECK constraint in
  // place: the column is added anew with the new list, copied, and the old one dropped.
  `ALTER TABLE executions RENAME COLUMN error_kind TO error_kind_before;
   ALTER TABLE executions ADD COLUMN error_kind TEXT CHECK (error_kind IN
     ('timeout', 'agent-error', 'invalid-output', 'spawn-error', 'interrupted', 'budget', 'cancelled', 'worker-lost'));
   UPDATE executions SET error_kind = error_kind_before;
   ALTER TABLE executions DROP COLUMN error_kind_before;`,
];
