// The yardstick for a cold apply: what any program must do to load the same connector
// files into SQLite — read each file, YAML-parse it, hash it and insert it, in one
// transaction — with nothing of agent-hub. Run as a whole process, like `agent-hub apply`.
//   node bench/plain-apply.js ROOT DBFILE
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import yaml from 'js-yaml';

const [root, dbFile] = process.argv.slice(2);
const dir = path.join(root, 'connectors');
const db = new Database(dbFile);
db.pragma('journal_mode = WAL');
db.exec('CREATE TABLE IF NOT EXISTS connectors (id TEXT PRIMARY KEY, hash TEXT NOT NULL, spec TEXT NOT NULL)');
const insert = db.prepare('INSERT OR REPLACE INTO connectors (id, hash, spec) VALUES (?, ?, ?)');
db.transaction(() => {
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.yaml')) continue;
    const bytes = readFileSync(path.join(dir, name));
    const spec = yaml.load(bytes.toString('utf8'));
    insert.run(name.slice(0, -5), createHash('sha256').update(bytes).digest('hex'), JSON.stringify(spec));
  }
})();
db.close();
