import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import path from 'node:path';
import { openDb, SchemaTooNewError } from '../../src/registry/db.js';
import { MIGRATIONS } from '../../src/registry/migrations.js';
import { connector, testdir } from '../helpers/repo.js';
import { cli } from '../helpers/cli.js';

describe('registry database', () => {
  it('creates the latest schema in WAL mode', () => {
    const file = path.join(testdir(), 'hub.db');
    const db = openDb(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['config', 'connector_versions', 'connectors', 'executions', 'sources']));
    db.close();
  });

  it('several agent-hub processes starting at once on a fresh repository all make or open the one database', async () => {
    // Rounds of four at once: each used to read version 0, and all but the first failed with "table connectors already exists".
    for (let round = 0; round < 5; round++) {
      const root = testdir({ 'connectors/a.yaml': connector() });
      const results = await Promise.all([1, 2, 3, 4].map(() => cli(['apply', '--repo', root])));
      for (const r of results) expect(r.stderr, r.stderr).not.toMatch(/already exists|internal error/);
      expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    }
  }, 60_000);

  it('makes a new database with 8 KiB pages (three connector rows a page, not one), and keeps an existing one as it is', () => {
    const fresh = openDb(path.join(testdir(), 'hub.db'));
    expect(fresh.pragma('page_size', { simple: true })).toBe(8192);
    fresh.close();
    const file = path.join(testdir(), 'old.db');
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.exec(MIGRATIONS[0] as string);
    old.pragma('user_version = 1');
    old.close();
    const db = openDb(file);
    expect(db.pragma('page_size', { simple: true })).toBe(4096);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('migrates a database of the original design and keeps its rows', () => {
    const file = path.join(testdir(), 'old.db');
    const old = new Database(file);
    old.exec(MIGRATIONS[0] as string);
    old.pragma('user_version = 1');
    old.prepare("INSERT INTO connectors (id, name, prompt, created_at, updated_at) VALUES ('legacy', 'Legacy', 'Hi', '2025-01-01', '2025-01-01')").run();
    old.prepare("INSERT INTO executions (id, connector_id, status, output, created_at) VALUES ('r1', 'legacy', 'success', 'done', '2025-01-02')").run();
    old.prepare("INSERT INTO config (key, value) VALUES ('k', 'v')").run();
    old.close();

    const db = openDb(file);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.prepare('SELECT id, name, active FROM connectors').all()).toEqual([{ id: 'legacy', name: 'Legacy', active: 1 }]);
    // The original output column's text is the run's result now (stored once).
    expect(db.prepare('SELECT id, status, result, output, trigger, attempt FROM executions').all()).toEqual([{ id: 'r1', status: 'success', result: 'done', output: null, trigger: 'manual', attempt: 1 }]);
    expect(db.prepare('SELECT value FROM config').get()).toEqual({ value: 'v' });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('keeps the four statuses of the original design', () => {
    const db = openDb(path.join(testdir(), 'hub.db'));
    db.prepare("INSERT INTO connectors (id, name, prompt, created_at, updated_at) VALUES ('c', 'c', 'p', 'now', 'now')").run();
    const insert = db.prepare("INSERT INTO executions (id, connector_id, status, created_at) VALUES (?, 'c', ?, 'now')");
    for (const status of ['pending', 'running', 'success', 'failed']) insert.run(status, status);
    expect(() => insert.run('x', 'exploded')).toThrow(/CHECK constraint/);
    db.close();
  });

  it('refuses a database from a newer agent-hub instead of damaging it', () => {
    const file = path.join(testdir(), 'new.db');
    const db = new Database(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => openDb(file)).toThrow(SchemaTooNewError);
  });
});
