import { stmt, type Db } from './db.js';

/**
 * The `config` table: small key/value notes the hub keeps between starts (`git.*` for
 * the git state, `sources.digest` for the loader). Keys under `git.` and `sources.` are
 * local to this machine and stay out of the snapshot.
 */
export function getSetting(db: Db, key: string): string | null {
  return (stmt(db, 'SELECT value FROM config WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
}

export function setSetting(db: Db, key: string, value: string): void {
  stmt(db, 'INSERT INTO config (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}

export function deleteSetting(db: Db, key: string): void {
  stmt(db, 'DELETE FROM config WHERE key = ?').run(key);
}
