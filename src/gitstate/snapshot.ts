import { SchemaTooNewError, type Db } from '../registry/db.js';
import { MIGRATIONS } from '../registry/migrations.js';
import { canonicalJson } from '../spec/hash.js';
import { REGISTRY_DIR } from './records.js';
import { UserError } from '../core/errors.js';

/**
 * What the snapshot holds: the registry's own tables. Executions are not in it — each
 * finished run is its own file under state/runs/, so a commit costs what its batch costs,
 * however long the history. Local caches (sources, the git queue) are left out.
 */
const TABLES: ReadonlyArray<{ name: string; file: string; order: string; where?: string }> = [
  { name: 'connectors', file: 'connectors.jsonl', order: 'id' },
  { name: 'connector_versions', file: 'connector-versions.jsonl', order: 'connector_id, applied_at, spec_hash' },
  { name: 'schedule_state', file: 'schedule.jsonl', order: 'connector_id' },
  { name: 'config', file: 'config.jsonl', order: 'key', where: "key NOT LIKE 'sources.%' AND key NOT LIKE 'git.%'" },
];

/**
 * The registry as deterministic text, read in one transaction (a consistent view even
 * while runs are being recorded): one file a table, one row a line, sorted, keys sorted.
 */
export function snapshotFiles(db: Db): Map<string, string> {
  const files = new Map<string, string>();
  db.transaction(() => {
    for (const t of TABLES) {
      const rows = db.prepare(`SELECT * FROM ${t.name} ${t.where ? `WHERE ${t.where}` : ''} ORDER BY ${t.order}`).all();
      files.set(`${REGISTRY_DIR}/${t.file}`, rows.map((r) => `${canonicalJson(r)}\n`).join(''));
    }
  })();
  files.set(`${REGISTRY_DIR}/meta.json`, `${JSON.stringify({ format: 1, schemaVersion: MIGRATIONS.length }, null, 2)}\n`);
  return files;
}

/** Loads snapshot files into a freshly migrated database (inside the caller's transaction). */
export function loadSnapshot(db: Db, files: ReadonlyMap<string, string>): void {
  const version = snapshotVersion(files.get(`${REGISTRY_DIR}/meta.json`));
  if (version > MIGRATIONS.length) throw new SchemaTooNewError(`${REGISTRY_DIR}/meta.json`, version, MIGRATIONS.length);
  for (const t of TABLES) {
    const text = files.get(`${REGISTRY_DIR}/${t.file}`);
    if (!text) continue;
    for (const [i, line] of text.split('\n').entries()) {
      if (!line.trim()) continue;
      const row = parseRow(line, `${REGISTRY_DIR}/${t.file}:${i + 1}`);
      const cols = Object.keys(row);
      db.prepare(`INSERT OR REPLACE INTO ${t.name} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...cols.map((c) => row[c] as never));
    }
  }
}

/** One snapshot line; a line that is not JSON (a merge's markers) is the user's to fix, named with its line. */
function parseRow(line: string, where: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`${where}: not valid JSON (${(err as Error).message}); git checkout the file from a good commit, then run the command again`);
  }
}

/** The schema version a snapshot was written at (0 when meta.json does not say): newer columns need a newer agent-hub. */
function snapshotVersion(meta: string | undefined): number {
  try {
    const v = (JSON.parse(meta ?? '{}') as { schemaVersion?: unknown }).schemaVersion;
    return typeof v === 'number' ? v : 0;
  } catch {
    return 0;
  }
}
