import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { linkSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { openDb, type Db } from '../../src/registry/db.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { listConnectors, listInvalidSources } from '../../src/registry/connectors.js';
import { connector, testdir, writeFiles, type Files } from '../helpers/repo.js';

/** What a user sees of the registry: each connector's state and version, and the files shown with errors. */
function registry(db: Db) {
  return {
    connectors: listConnectors(db).map((c) => ({ id: c.id, active: c.active, specHash: c.specHash, sourcePath: c.sourcePath, schedule: c.schedule, lastError: c.lastError?.map((d) => d.message) ?? null })),
    invalid: listInvalidSources(db).map((s) => ({ path: s.path, connectorId: s.connectorId, messages: s.diagnostics.map((d) => d.message) })),
  };
}

/** Twin repositories: each step changes both alike, one is reconciled with the paths changed, the other in full. */
async function twins(files: Files) {
  const pair = [testdir(files), testdir(files)] as const;
  const dbs = pair.map((root) => openDb(path.join(root, '.agent-hub/hub.db')));
  for (const [i, root] of pair.entries()) await reconcile(root, dbs[i] as Db);
  return {
    /** Changes both, reconciles both, compares; `only`: whether the pass must have been limited to the changed files. */
    async step(change: (root: string) => void, changed: string[], only?: boolean) {
      pair.forEach((root) => change(root));
      const scoped = await reconcile(pair[0], dbs[0] as Db, { changed });
      await reconcile(pair[1], dbs[1] as Db);
      expect(registry(dbs[0] as Db)).toEqual(registry(dbs[1] as Db));
      if (only !== undefined) expect(scoped.desired.files.length <= changed.length).toBe(only);
      return scoped;
    },
    close: () => dbs.forEach((db) => db.close()),
  };
}

const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`connectors/c-${i}.yaml`, connector({ schedule: `${i} 9 * * *` })]));

describe('reconcile with the changed paths (a file event)', () => {
  it('checks only those files and leaves the registry as a full pass would: edits, new files, removals, renames, invalid files', async () => {
    const t = await twins({ ...many, 'connectors/keep.yaml': connector({ id: 'kept', prompt: 'keep' }), 'connectors/partials/f.hbs': 'footer' });
    const edit = await t.step((r) => writeFiles(r, { 'connectors/c-3.yaml': connector({ schedule: '5 5 * * *' }) }), ['connectors/c-3.yaml'], true);
    expect(edit.desired.checked).toBe(1);
    expect(edit.plan.counts).toMatchObject({ update: 1, unchanged: 0 });
    await t.step((r) => writeFiles(r, { 'connectors/team/new.yaml': connector({ prompt: 'new {{> f}}' }) }), ['connectors/team/new.yaml'], true);
    await t.step((r) => rmSync(path.join(r, 'connectors/c-4.yaml')), ['connectors/c-4.yaml'], true);
    // Renamed with its id kept: an update that moves; renamed without one: a new id, the old one removed.
    await t.step((r) => renameSync(path.join(r, 'connectors/keep.yaml'), path.join(r, 'connectors/team/kept-here.yaml')), ['connectors/keep.yaml', 'connectors/team/kept-here.yaml'], true);
    await t.step((r) => renameSync(path.join(r, 'connectors/c-5.yaml'), path.join(r, 'connectors/c-5b.yaml')), ['connectors/c-5.yaml', 'connectors/c-5b.yaml'], true);
    // Invalid: the last good version stays, with the error; a new invalid file shows on no connector; fixed, the error goes.
    await t.step((r) => writeFiles(r, { 'connectors/c-6.yaml': 'prompt: hi\nschedule: "61 * * * *"\n' }), ['connectors/c-6.yaml'], true);
    await t.step((r) => writeFiles(r, { 'connectors/bad.yaml': 'prompt: [\n' }), ['connectors/bad.yaml'], true);
    await t.step((r) => writeFiles(r, { 'connectors/c-6.yaml': connector({ schedule: '6 6 * * *' }) }), ['connectors/c-6.yaml'], true);
    // Unchanged content (a touch, a save without change): nothing to do.
    const touch = await t.step((r) => writeFiles(r, { 'connectors/c-7.yaml': connector({ schedule: '7 9 * * *' }) }), ['connectors/c-7.yaml'], true);
    expect(touch.applied).toBe(false);
    // Paths that are not connector files alone, and a deleted directory.
    // Files no connector reads (an editor's swap and backup files, notes): nothing to check.
    const swap = await t.step((r) => writeFiles(r, { 'connectors/.c-8.yaml.swp': 'x', 'connectors/c-8.yaml~': 'x', 'connectors/notes.md': 'x' }), ['connectors/.c-8.yaml.swp', 'connectors/c-8.yaml~', 'connectors/notes.md', 'connectors/4913'], true);
    expect(swap.plan.actions).toEqual([]);
    t.close();
  });

  it('falls back to the full pass where one file decides for others: partials, hub.yaml, ids taken by another file, directories', async () => {
    const t = await twins({ ...many, 'connectors/pf.yaml': 'promptFile: pf.prompt.hbs\n', 'connectors/pf.prompt.hbs': 'from a file', 'connectors/p.yaml': connector({ prompt: 'uses {{> f}}' }), 'connectors/q.yaml': connector({ prompt: 'also {{> f}}' }), 'connectors/partials/f.hbs': 'v1' });
    const partial = await t.step((r) => writeFiles(r, { 'connectors/partials/f.hbs': 'v2' }), ['connectors/partials/f.hbs'], false);
    expect(partial.plan.counts).toMatchObject({ update: 2 });
    const prompt = await t.step((r) => writeFiles(r, { 'connectors/pf.prompt.hbs': 'from the file, v2' }), ['connectors/pf.prompt.hbs'], false);
    expect(prompt.plan.counts).toMatchObject({ update: 1 });
    await t.step((r) => writeFiles(r, { 'hub.yaml': 'defaults:\n  timezone: Europe/Paris\n' }), ['hub.yaml'], false);
    // A new file taking an id another file has: both are invalid (a full pass sees the two), whichever changed.
    await t.step((r) => writeFiles(r, { 'connectors/dup.yaml': connector({ id: 'c-1' }) }), ['connectors/dup.yaml'], false);
    await t.step((r) => writeFiles(r, { 'connectors/c-1.yaml': connector({ schedule: '1 1 * * *' }) }), ['connectors/c-1.yaml'], false);
    await t.step((r) => rmSync(path.join(r, 'connectors/dup.yaml')), ['connectors/dup.yaml'], false);
    // A directory moved away raises one event, for the directory.
    await t.step((r) => {
      mkdirSync(path.join(r, 'connectors/sub'));
      writeFiles(r, { 'connectors/sub/s.yaml': connector() });
    }, ['connectors/sub', 'connectors/sub/s.yaml'], false);
    await t.step((r) => rmSync(path.join(r, 'connectors/sub'), { recursive: true }), ['connectors/sub'], false);
    t.close();
  });

  it('follows a file that other files read through a symlink: a connector file or a promptFile linked to it is checked again by the full pass', async () => {
    const t = await twins({ ...many, 'connectors/a.yaml': connector({ schedule: '0 9 * * *' }), 'connectors/pf.yaml': 'promptFile: pf.prompt.hbs\n', 'connectors/shared.hbs': 'shared v1' });
    await t.step((r) => {
      symlinkSync('a.yaml', path.join(r, 'connectors/link.yaml'));
      symlinkSync('shared.hbs', path.join(r, 'connectors/pf.prompt.hbs'));
    }, ['connectors/link.yaml', 'connectors/pf.prompt.hbs']);
    // The file event names the link's target only: the connector read through the link changes too.
    await t.step((r) => writeFiles(r, { 'connectors/a.yaml': connector({ schedule: '0 10 * * *' }) }), ['connectors/a.yaml']);
    await t.step((r) => writeFiles(r, { 'connectors/shared.hbs': 'shared v2' }), ['connectors/shared.hbs']);
    t.close();
  });

  it('follows a connector file with another name (a hard link): an edit in place changes the connector of each name', async () => {
    const t = await twins({ ...many, 'connectors/a.yaml': connector({ schedule: '0 9 * * *' }) });
    await t.step((r) => linkSync(path.join(r, 'connectors/a.yaml'), path.join(r, 'connectors/b.yaml')), ['connectors/b.yaml']);
    await t.step((r) => writeFiles(r, { 'connectors/a.yaml': connector({ schedule: '0 10 * * *' }) }), ['connectors/a.yaml']);
    t.close();
  });

  it('lists a connector file linked before the file it links to was made, once that file is made', async () => {
    const t = await twins({ ...many });
    // A dangling link is no connector file yet (nothing to read); the file made, the link reads it.
    // The registry has no row for the link to send the target's event to the full pass: the watcher names the link too (test/daemon/watch.test.ts).
    await t.step((r) => symlinkSync('target.yaml', path.join(r, 'connectors/link.yaml')), ['connectors/link.yaml']);
    await t.step((r) => writeFiles(r, { 'connectors/target.yaml': connector({ schedule: '0 9 * * *' }) }), ['connectors/target.yaml', 'connectors/link.yaml']);
    t.close();
  });

  it('takes a directory named like a connector file, moved away with the connectors in it, as a directory', async () => {
    const t = await twins({ ...many, 'connectors/old.yaml/x.yaml': connector(), 'connectors/old.yaml/y.yaml': connector() });
    // Moved out of connectors/: one event, for the directory.
    await t.step((r) => renameSync(path.join(r, 'connectors/old.yaml'), path.join(r, 'old-connectors')), ['connectors/old.yaml']);
    t.close();
  });

  it('takes the full pass for a burst naming many files (a checkout, a sed over all of them): its cache skips the unchanged ones, checking each named file would not', async () => {
    const files: Files = {};
    for (let i = 0; i < 80; i++) files[`connectors/m-${i}.yaml`] = connector({ prompt: `m ${i}` });
    const t = await twins(files);
    const touched = await t.step((r) => writeFiles(r, files), Object.keys(files));
    expect(touched.desired.checked).toBe(0);
    t.close();
  });
});
