import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { openDb } from '../../src/registry/db.js';
import { snapshotFiles } from '../../src/gitstate/snapshot.js';
import { connector, testdir, writeFiles } from '../helpers/repo.js';
import { getConnector } from '../../src/registry/connectors.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { FIXTURES } from '../helpers/fake-agent.js';

describe('registry snapshot', () => {
  it('is deterministic text: the same registry gives the same bytes', () => {
    const db = openDb(path.join(testdir(), 'hub.db'));
    db.prepare("INSERT INTO connectors (id, name, prompt, created_at, updated_at, spec, spec_hash, source_path) VALUES ('b', 'B', 'p', 't', 't', '{}', 'h', 'connectors/b.yaml'), ('a', 'A', 'p', 't', 't', '{}', 'h', 'connectors/a.yaml')").run();
    const one = snapshotFiles(db);
    expect(snapshotFiles(db)).toEqual(one);
    const lines = (one.get('state/registry/connectors.jsonl') ?? '').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).id)).toEqual(['a', 'b']);
    expect(lines[0]?.startsWith('{"active":1,"applied_at":null,"config":"{}"')).toBe(true); // keys sorted
    db.close();
  });

  it('commits each version\'s text once: the current one in its connector row, a superseded one in its history row', async () => {
    const root = testdir({ 'connectors/digest.yaml': connector({ prompt: 'Summarise quokka-one for today' }) });
    const db = openDb(path.join(root, '.agent-hub/hub.db'));
    const count = (marker: string) => {
      const files = snapshotFiles(db);
      const times = (file: string) => (files.get(`state/registry/${file}`) ?? '').split(marker).length - 1;
      return { row: times('connectors.jsonl'), history: times('connector-versions.jsonl') };
    };
    await reconcile(root, db);
    const once = count('quokka-one').row;
    expect(once).toBeGreaterThan(0);
    // No copies beside the spec (prompt and config columns), and no second copy in the history row.
    expect(once).toBe(getConnector(db, 'digest')?.version ? JSON.stringify(getConnector(db, 'digest')?.version).split('quokka-one').length - 1 : -1);
    expect(count('quokka-one').history).toBe(0);
    writeFiles(root, { 'connectors/digest.yaml': connector({ prompt: 'Summarise quokka-two for today' }) });
    await reconcile(root, db);
    expect(count('quokka-two')).toEqual({ row: once, history: 0 });
    expect(count('quokka-one')).toEqual({ row: 0, history: once }); // the superseded version keeps its text
    db.close();
  });

  it('is consistent while another process writes to the registry', async () => {
    const file = path.join(testdir(), 'hub.db');
    const db = openDb(file);
    db.prepare("INSERT INTO connectors (id, name, prompt, created_at, updated_at, spec, spec_hash, source_path) VALUES ('w', 'W', 'p', 't', '0', '{}', 'h0', 'x')").run();
    const writer = spawn(process.execPath, [path.join(FIXTURES, 'registry-writer.mjs'), file, '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let steps = '';
    writer.stdout.on('data', (d) => (steps += d));
    const exited = new Promise((r) => writer.on('exit', r));
    let snapshots = 0;
    let seenWrites = 0;
    const deadline = Date.now() + 1200;
    while (Date.now() < deadline) {
      const files = snapshotFiles(db);
      const connector = JSON.parse((files.get('state/registry/connectors.jsonl') ?? '').trim());
      const schedule = (files.get('state/registry/schedule.jsonl') ?? '').trim();
      const versions = (files.get('state/registry/connector-versions.jsonl') ?? '').trim().split('\n').filter(Boolean);
      if (schedule) {
        const slot = Number(JSON.parse(schedule).last_slot);
        expect(connector.spec_hash).toBe(`h${slot}`);
        expect(versions).toHaveLength(slot);
        seenWrites = Math.max(seenWrites, slot);
      }
      snapshots++;
      await new Promise((r) => setImmediate(r));
    }
    await exited;
    expect(Number(steps)).toBeGreaterThan(100);
    expect(seenWrites).toBeGreaterThan(0);
    expect(snapshots).toBeGreaterThan(10);
    db.close();
  });
});
