import type Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MIGRATIONS } from './migrations.js';
import { EXIT, UserError } from '../core/errors.js';

export type Db = Database.Database;

export const STATE_DIR = '.agent-hub';
export const DB_FILE = 'hub.db';

/** Where a repository's database lives. */
export function dbPath(root: string): string {
  return path.join(root, STATE_DIR, DB_FILE);
}

/** Raised when the database was written by a newer agent-hub than this one. */
export class SchemaTooNewError extends UserError {
  constructor(file: string, version: number, known: number) {
    super(`${file} was written by a newer agent-hub (schema version ${version}; this one knows up to ${known}): upgrade agent-hub`, EXIT.newerData);
  }
}

/**
 * Opens (creating if needed) a registry database in WAL mode and migrates it to the
 * latest schema (see migrate).
 */
export function openDb(file: string, opts: { readonly?: boolean } = {}): Db {
  if (!opts.readonly) mkdirSync(path.dirname(file), { recursive: true });
  const Database = loadSqlite();
  let db: Db;
  try {
    db = new Database(file, { readonly: opts.readonly === true, fileMustExist: opts.readonly === true });
  } catch (err) {
    throw nativeModuleError(err) ?? err;
  }
  db.pragma('busy_timeout = 5000');
  if (!opts.readonly) {
    // A new database only (an existing one keeps its pages: WAL mode fixes them). A connector's
    // row (~2.4 KB with 5,000 of them) filled a 4 KiB page alone: 8 KiB pages hold three, and a
    // cold apply of 5,000 writes ~23 MB in a third fewer WAL frames (~25% less SQLite time).
    if (db.pragma('page_count', { simple: true }) === 0) db.pragma('page_size = 8192');
    whenFree(() => db.pragma('journal_mode = WAL'));
    // NORMAL is durable across application crashes in WAL mode; only an OS crash may lose the last commit.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  }
  return db;
}

/**
 * Runs `op` again while SQLite says the database is busy, for up to the busy timeout. The
 * switch to WAL needs the database to itself, and SQLite may answer "database is locked" at
 * once where waiting could deadlock, busy_timeout or not: seen with four processes opening a
 * new database together on a loaded machine (a hub and CLIs on a fresh clone).
 */
function whenFree<T>(op: () => T, timeoutMs = 5000): T {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return op();
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= until) throw err;
      Atomics.wait(pause, 0, 0, 10); // a synchronous 10 ms: opening is synchronous
    }
  }
}
const pause = new Int32Array(new SharedArrayBuffer(4));

/** better-sqlite3, loaded on the first open so that commands without a database (validate) start without it. */
function loadSqlite(): typeof import('better-sqlite3') {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
  } catch (err) {
    throw nativeModuleError(err) ?? err;
  }
}

/**
 * better-sqlite3's compiled part missing (npm did not run its install script: npm 12 runs a
 * dependency's only when allowed) or built for another Node.js: something the user fixes by
 * reinstalling, not a bug in agent-hub. The module loads its binary on the first `new Database`.
 */
function nativeModuleError(err: unknown): UserError | undefined {
  const message = err instanceof Error ? err.message : '';
  if (!/Could not locate the bindings file|NODE_MODULE_VERSION|better_sqlite3\.node/.test(message)) return undefined;
  return new UserError(
    `better-sqlite3, the SQLite module agent-hub keeps its registry in, cannot load its compiled part (${(message.split('\n')[0] ?? '').replace(/\s*Tried:\s*$/, '')}); ` +
      'npm builds it when it may run the install script: reinstall with `npm install -g --allow-scripts=better-sqlite3 agent-hub-cli` ' +
      '(in a clone of agent-hub: `npm rebuild better-sqlite3`)',
  );
}

/**
 * Brings a database to the latest schema version; returns the versions applied. Each step
 * holds the write lock from its start (BEGIN IMMEDIATE) and reads the version under it, so
 * processes opening one database at once (a hub and a CLI on a fresh clone) migrate it
 * once between them: the others wait (busy_timeout), then find it done. A new database is
 * made in one transaction; an existing one moves a version a transaction, so an error
 * keeps what came before it.
 */
export function migrate(db: Db): number[] {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  const applied: number[] = [];
  const step = db.transaction((): boolean => {
    const current = version();
    if (current > MIGRATIONS.length) throw new SchemaTooNewError(db.name, current, MIGRATIONS.length);
    if (current === MIGRATIONS.length) return false;
    for (let v = current + 1; v <= (current === 0 ? MIGRATIONS.length : current + 1); v++) {
      db.exec(MIGRATIONS[v - 1] as string);
      db.pragma(`user_version = ${v}`);
      applied.push(v);
    }
    return true;
  });
  // Up to date (every open but the first), or too new: said without taking the write lock.
  const seen = version();
  if (seen > MIGRATIONS.length) throw new SchemaTooNewError(db.name, seen, MIGRATIONS.length);
  if (seen === MIGRATIONS.length) return applied;
  while (step.immediate()) {
    // one transaction a step, until a step finds nothing left to do
  }
  return applied;
}

const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement, prepared once per connection: hot paths (a run's rows) skip re-parsing SQL. */
export function stmt(db: Db, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let s = cache.get(sql);
  if (!s) cache.set(sql, (s = db.prepare(sql)));
  return s;
}

/**
 * Runs `task` in one transaction that may await between statements (db.transaction()
 * cannot): only for a connection nothing else uses meanwhile, such as a restore's.
 */
export async function asyncTransaction<T>(db: Db, task: () => Promise<T>): Promise<T> {
  db.exec('BEGIN');
  try {
    const result = await task();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
