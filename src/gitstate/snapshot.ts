import { SchemaTooNewError, type Db } from '../registry/db.js';
import { MIGRATIONS } from '../registry/migrations.js';
import { dumpTables, loadTables } from '../registry/snapshot.js';
import { REGISTRY_DIR } from './records.js';
import { UserError } from '../core/errors.js';

/**
 * The registry as files under state/registry/: one file a table (see registry/snapshot.ts)
 * and meta.json, which says which schema wrote them.
 */
export function snapshotFiles(db: Db): Map<string, string> {
  const files = new Map<string, string>();
  for (const [file, text] of dumpTables(db)) files.set(`${REGISTRY_DIR}/${file}`, text);
  files.set(`${REGISTRY_DIR}/meta.json`, `${JSON.stringify({ format: 1, schemaVersion: MIGRATIONS.length }, null, 2)}\n`);
  return files;
}

/** Loads snapshot files into a freshly migrated database (inside the caller's transaction). */
export function loadSnapshot(db: Db, files: ReadonlyMap<string, string>): void {
  const version = snapshotVersion(files.get(`${REGISTRY_DIR}/meta.json`));
  if (version > MIGRATIONS.length) throw new SchemaTooNewError(`${REGISTRY_DIR}/meta.json`, version, MIGRATIONS.length);
  loadTables(db, (file) => files.get(`${REGISTRY_DIR}/${file}`), (line, file, n) => parseRow(line, `${REGISTRY_DIR}/${file}:${n}`));
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
