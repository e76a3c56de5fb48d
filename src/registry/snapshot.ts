import { canonicalJson } from '../spec/hash.js';
import type { Db } from './db.js';

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
 * The registry's tables as deterministic text, read in one transaction (a consistent view
 * even while runs are being recorded): file name → one row a line, sorted, keys sorted.
 */
export function dumpTables(db: Db): Map<string, string> {
  const files = new Map<string, string>();
  db.transaction(() => {
    for (const t of TABLES) {
      const rows = db.prepare(`SELECT * FROM ${t.name} ${t.where ? `WHERE ${t.where}` : ''} ORDER BY ${t.order}`).all();
      files.set(t.file, rows.map((r) => `${canonicalJson(r)}\n`).join(''));
    }
  })();
  return files;
}

/** Loads dumped tables (file name → text) into a freshly migrated database, inside the caller's transaction. */
export function loadTables(db: Db, read: (file: string) => string | undefined, parse: (line: string, file: string, lineNumber: number) => Record<string, unknown> = (line) => JSON.parse(line) as Record<string, unknown>): void {
  for (const t of TABLES) {
    const text = read(t.file);
    if (!text) continue;
    for (const [i, line] of text.split('\n').entries()) {
      if (!line.trim()) continue;
      const row = parse(line, t.file, i + 1);
      const cols = Object.keys(row);
      db.prepare(`INSERT OR REPLACE INTO ${t.name} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...cols.map((c) => row[c] as never));
    }
  }
}
