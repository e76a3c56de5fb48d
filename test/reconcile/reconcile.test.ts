import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { openDb, type Db } from '../../src/registry/db.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { getConnector, listConnectors } from '../../src/registry/connectors.js';
import { connector, git, gitdir, testdir, writeFiles } from '../helpers/repo.js';

function open(root: string): Db {
  const db = openDb(path.join(root, '.agent-hub/hub.db'));
  return db;
}

const totalChanges = (db: Db) => (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;

/** Makes files look checked out a while ago, so the stat cache may trust them. */
function age(root: string, ...files: string[]) {
  const past = new Date(Date.now() - 60_000);
  for (const f of files) utimesSync(path.join(root, f), past, past);
}

describe('reconcile', () => {
  it('creates connectors, then a second reconcile with no change writes nothing', async () => {
    const root = testdir({ 'connectors/a.yaml': connector({ schedule: '@daily' }), 'connectors/b.yml': connector() });
    const db = open(root);
    const first = await reconcile(root, db);
    expect(first.applied).toBe(true);
    expect(first.plan.counts).toMatchObject({ create: 2 });
    expect(listConnectors(db).map((c) => [c.id, c.active, c.schedule])).toEqual([['a', true, '@daily'], ['b', true, null]]);

    age(root, 'connectors/a.yaml', 'connectors/b.yml');
    await reconcile(root, db); // records the aged stats
    const before = totalChanges(db);
    const second = await reconcile(root, db);
    expect(second.applied).toBe(false);
    expect(second.plan.counts).toMatchObject({ unchanged: 2, create: 0, update: 0 });
    expect(second.desired.checked).toBe(0);
    expect(totalChanges(db)).toBe(before);
    db.close();
  });

  it('updates a changed connector and keeps every applied version', async () => {
    const root = testdir({ 'connectors/a.yaml': connector({ prompt: 'v1' }) });
    const db = open(root);
    await reconcile(root, db);
    const v1 = getConnector(db, 'a')?.specHash;
    writeFiles(root, { 'connectors/a.yaml': connector({ prompt: 'v2' }) });
    const result = await reconcile(root, db);
    expect(result.plan.counts.update).toBe(1);
    const v2 = getConnector(db, 'a');
    expect(v2?.specHash).not.toBe(v1);
    expect(v2?.version.template).toBe('v2');
    expect(db.prepare('SELECT COUNT(*) AS n FROM connector_versions WHERE connector_id = ?').get('a')).toEqual({ n: 2 });
    db.close();
  });

  it('a change to a field named "__proto__" (an environment variable) is an update, applied', async () => {
    const root = testdir({ 'connectors/a.yaml': 'prompt: hi\nagent:\n  type: command\n  command: ["true"]\n  env:\n    __proto__: one\n' });
    const db = open(root);
    await reconcile(root, db);
    expect(getConnector(db, 'a')?.version.spec.agent.env).toEqual(JSON.parse('{"__proto__":"one"}'));
    writeFiles(root, { 'connectors/a.yaml': 'prompt: hi\nagent:\n  type: command\n  command: ["true"]\n  env:\n    __proto__: two\n' });
    const result = await reconcile(root, db);
    expect(result.plan.counts.update).toBe(1);
    expect(getConnector(db, 'a')?.version.spec.agent.env).toEqual(JSON.parse('{"__proto__":"two"}'));
    db.close();
  });

  it('an edit within the same second as the last apply is still seen (no stale stat cache)', async () => {
    const root = testdir({ 'connectors/a.yaml': connector({ prompt: 'AAAA' }) });
    const db = open(root);
    await reconcile(root, db);
    writeFiles(root, { 'connectors/a.yaml': connector({ prompt: 'BBBB' }) }); // same size, same second
    await reconcile(root, db);
    expect(getConnector(db, 'a')?.version.template).toBe('BBBB');
    db.close();
  });

  it('an invalid edit keeps the last good version active, with the error; fixing it clears the error', async () => {
    const root = testdir({ 'connectors/a.yaml': connector({ prompt: 'good', schedule: '0 9 * * *' }) });
    const db = open(root);
    await reconcile(root, db);
    const good = getConnector(db, 'a');

    writeFiles(root, { 'connectors/a.yaml': 'prompt: good\nschedule: "0 25 * * *"\n' });
    const broken = await reconcile(root, db);
    expect(broken.plan.actions).toEqual([expect.objectContaining({ kind: 'invalid', id: 'a', keepsLastGood: true })]);
    const kept = getConnector(db, 'a');
    expect(kept?.active).toBe(true);
    expect(kept?.specHash).toBe(good?.specHash);
    expect(kept?.lastError?.[0]).toMatchObject({ file: 'connectors/a.yaml', line: 2, path: 'schedule', message: expect.stringContaining('hour: 25') });

    writeFiles(root, { 'connectors/a.yaml': connector({ prompt: 'good', schedule: '0 9 * * *' }) });
    await reconcile(root, db);
    expect(getConnector(db, 'a')).toMatchObject({ lastError: null, specHash: good?.specHash });
    db.close();
  });

  it('a removed file deactivates its connector and keeps its history', async () => {
    const root = testdir({ 'connectors/a.yaml': connector(), 'connectors/b.yaml': connector() });
    const db = open(root);
    await reconcile(root, db);
    db.prepare("INSERT INTO executions (id, connector_id, status, created_at) VALUES ('run-1', 'a', 'success', 'now')").run();
    rmSync(path.join(root, 'connectors/a.yaml'));
    const result = await reconcile(root, db);
    expect(result.plan.counts).toMatchObject({ remove: 1, unchanged: 1 });
    expect(getConnector(db, 'a')?.active).toBe(false);
    expect(db.prepare('SELECT id FROM executions').all()).toEqual([{ id: 'run-1' }]);
    // Bringing the file back reactivates it.
    writeFiles(root, { 'connectors/a.yaml': connector() });
    expect((await reconcile(root, db)).plan.actions).toContainEqual(expect.objectContaining({ kind: 'create', id: 'a', reactivated: true }));
    expect(getConnector(db, 'a')?.active).toBe(true);
    db.close();
  });

  it('an edit to a prompt file or a partial updates the connectors that use them', async () => {
    const root = testdir({
      'connectors/a.yaml': 'promptFile: a.prompt.hbs\n',
      'connectors/a.prompt.hbs': 'Hello {{> sig}}\n',
      'connectors/b.yaml': connector({ prompt: 'No partial here' }),
      'connectors/partials/sig.hbs': 'v1',
    });
    const db = open(root);
    await reconcile(root, db);
    writeFiles(root, { 'connectors/a.prompt.hbs': 'Hi {{> sig}}\n' });
    let r = await reconcile(root, db);
    expect(r.plan.actions.filter((a) => a.kind === 'update').map((a) => 'id' in a && a.id)).toEqual(['a']);
    writeFiles(root, { 'connectors/partials/sig.hbs': 'v2' });
    r = await reconcile(root, db);
    expect(r.plan.actions.filter((a) => a.kind === 'update').map((a) => 'id' in a && a.id)).toEqual(['a']);
    expect(getConnector(db, 'a')?.version.partials).toEqual({ sig: 'v2' });
    db.close();
  });

  it('hub.yaml defaults apply to connectors; a broken hub.yaml blocks the apply', async () => {
    const root = testdir({ 'hub.yaml': 'defaults:\n  timezone: Asia/Tokyo\n  timeout: 90s\n', 'connectors/a.yaml': connector({ schedule: '@daily' }) });
    const db = open(root);
    await reconcile(root, db);
    expect(getConnector(db, 'a')?.version.spec).toMatchObject({ timezone: 'Asia/Tokyo', agent: { timeout: '90s' } });
    writeFiles(root, { 'hub.yaml': 'concurency: 3\n', 'connectors/b.yaml': connector() });
    const r = await reconcile(root, db);
    expect(r.applied).toBe(false);
    expect(r.blocking[0]).toMatchObject({ file: 'hub.yaml', line: 1, message: 'unknown field "concurency"', hint: 'did you mean "concurrency"?' });
    expect(getConnector(db, 'b')).toBeUndefined();
    db.close();
  });

  it('records the git commit a version came from when its files are committed and clean', async () => {
    const root = gitdir({ 'connectors/a.yaml': connector({ prompt: 'one' }), 'connectors/b.yaml': 'promptFile: b.hbs\n', 'connectors/b.hbs': 'b' });
    const head = git(root, 'rev-parse', 'HEAD');
    const db = open(root);
    await reconcile(root, db);
    expect(getConnector(db, 'a')?.gitCommit).toBe(head);
    expect(getConnector(db, 'b')?.gitCommit).toBe(head);

    // Uncommitted edits (of the connector, or only of its prompt file) record no commit.
    writeFiles(root, { 'connectors/a.yaml': connector({ prompt: 'two' }), 'connectors/b.hbs': 'b2' });
    await reconcile(root, db);
    expect(getConnector(db, 'a')?.gitCommit).toBeNull();
    expect(getConnector(db, 'b')?.gitCommit).toBeNull();

    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'two');
    writeFiles(root, { 'connectors/a.yaml': connector({ prompt: 'three' }) });
    git(root, 'commit', '-qam', 'three');
    await reconcile(root, db);
    expect(getConnector(db, 'a')?.gitCommit).toBe(git(root, 'rev-parse', 'HEAD'));
    db.close();
  });

  it('works in a hub that is a subdirectory of a bigger git repository', async () => {
    const top = gitdir({ 'hub/connectors/a.yaml': connector(), 'README.md': 'x' });
    const root = path.join(top, 'hub');
    const db = open(root);
    await reconcile(root, db);
    expect(getConnector(db, 'a')?.gitCommit).toBe(git(top, 'rev-parse', 'HEAD'));
    writeFileSync(path.join(root, 'connectors/a.yaml'), connector({ prompt: 'changed' }));
    await reconcile(root, db);
    expect(getConnector(db, 'a')?.gitCommit).toBeNull();
    db.close();
  });
});
