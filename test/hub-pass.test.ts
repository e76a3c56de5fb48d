import { describe, expect, it, onTestFinished } from 'vitest';
import path from 'node:path';
import { renameSync, rmSync } from 'node:fs';
import { Hub } from '../src/hub.js';
import { openDb } from '../src/registry/db.js';
import { reconcile } from '../src/reconcile/reconcile.js';
import { getConnector } from '../src/registry/connectors.js';
import { connector, testdir, writeFiles } from './helpers/repo.js';
import { fakeClaudeEnv } from './helpers/fake-agent.js';

async function started(files: Record<string, string>) {
  const root = testdir(files);
  const hub = new Hub({ repo: root, env: fakeClaudeEnv().env });
  onTestFinished(async () => {
    try { await hub.stop(0); } catch { /* stopped */ }
  });
  await hub.start({ commitLoop: false });
  return { root, hub };
}

const hourOf = (hub: Hub, id: string) => hub.scheduler.nextRun(id)?.getUTCHours() ?? null;

describe.each([['with the paths they named', true], ['without paths (a full pass)', false]])('reconcile passes triggered by file events, %s', (_name, named) => {
  /** A pass as the daemon's watcher asks for one. */
  const files = (hub: Hub, ...paths: string[]) => hub.reconcile('files', named ? paths : undefined);

  it('bring the scheduler in line with what changed: edits, removals, renames, invalid files, partials, and changes another process applied', async () => {
    const { root, hub } = await started({
      'connectors/a.yaml': connector({ schedule: '0 9 * * *', prompt: 'a {{> footer}}' }),
      'connectors/b.yaml': connector({ schedule: '0 10 * * *', prompt: 'b {{> footer}}' }),
      'connectors/c.yaml': connector({ schedule: '0 11 * * *' }),
      'connectors/d.yaml': connector({ schedule: '0 12 * * *' }),
      'connectors/partials/footer.hbs': 'v1',
    });
    expect(['a', 'b', 'c', 'd'].map((id) => hourOf(hub, id))).toEqual([9, 10, 11, 12]);

    // An edit, a removal and a connector turned off, in one burst.
    writeFiles(root, { 'connectors/a.yaml': connector({ schedule: '0 13 * * *', prompt: 'a {{> footer}}' }), 'connectors/d.yaml': connector({ schedule: '0 12 * * *', enabled: false }) });
    rmSync(path.join(root, 'connectors/c.yaml'));
    await files(hub, 'connectors/a.yaml', 'connectors/d.yaml', 'connectors/c.yaml');
    expect(['a', 'b', 'c', 'd'].map((id) => hourOf(hub, id))).toEqual([13, 10, null, null]);

    // A rename keeps the connector (its id is the same) and its schedule; an invalid file keeps the last good version scheduled.
    renameSync(path.join(root, 'connectors/a.yaml'), path.join(root, 'connectors/renamed.yaml'));
    writeFiles(root, { 'connectors/renamed.yaml': connector({ id: 'a', schedule: '0 14 * * *', prompt: 'a {{> footer}}' }), 'connectors/b.yaml': 'prompt: b\nschedule: "61 * * * *"\n' });
    await files(hub, 'connectors/a.yaml', 'connectors/renamed.yaml', 'connectors/b.yaml');
    expect(['a', 'b'].map((id) => hourOf(hub, id))).toEqual([14, 10]);
    expect(getConnector(hub.db, 'a')?.sourcePath).toBe('connectors/renamed.yaml');

    // A partial edit makes a new version of every connector using it.
    writeFiles(root, { 'connectors/b.yaml': connector({ schedule: '0 15 * * *', prompt: 'b {{> footer}}' }) });
    await files(hub, 'connectors/b.yaml');
    const before = ['a', 'b'].map((id) => getConnector(hub.db, id)?.specHash);
    writeFiles(root, { 'connectors/partials/footer.hbs': 'v2' });
    await files(hub, 'connectors/partials/footer.hbs');
    expect(['a', 'b'].map((id) => getConnector(hub.db, id)?.version.template)).toEqual(['a {{> footer}}', 'b {{> footer}}']);
    expect(['a', 'b'].map((id) => getConnector(hub.db, id)?.specHash)).not.toEqual(before);
    expect(['a', 'b'].map((id) => hourOf(hub, id))).toEqual([14, 15]);

    // Another process (`agent-hub apply`) applied a change: the next pass schedules it, though its own plan is empty.
    writeFiles(root, { 'connectors/b.yaml': connector({ schedule: '0 16 * * *', prompt: 'b {{> footer}}' }) });
    const other = openDb(path.join(root, '.agent-hub/hub.db'));
    await reconcile(root, other);
    other.close();
    await files(hub, 'connectors/b.yaml');
    expect(hourOf(hub, 'b')).toBe(16);
  });
});

describe('a reconcile pass that failed (the registry locked by another process, the disk full)', () => {
  it('is followed by a full pass: the edits it missed go live with the next file event, not at the resync', async () => {
    const { root, hub } = await started({
      'connectors/a.yaml': connector({ schedule: '0 9 * * *' }),
      'connectors/b.yaml': connector({ schedule: '0 10 * * *' }),
    });
    // Another process holds the registry's write lock longer than the busy timeout: the pass for a.yaml fails.
    const other = openDb(path.join(root, '.agent-hub/hub.db'));
    other.exec('BEGIN IMMEDIATE');
    writeFiles(root, { 'connectors/a.yaml': connector({ schedule: '0 11 * * *' }) });
    await expect(hub.reconcile('files', ['connectors/a.yaml'])).rejects.toThrow();
    other.exec('ROLLBACK');
    other.close();
    // The next edit's event names b.yaml alone.
    writeFiles(root, { 'connectors/b.yaml': connector({ schedule: '0 12 * * *' }) });
    await hub.reconcile('files', ['connectors/b.yaml']);
    expect(['a', 'b'].map((id) => hourOf(hub, id))).toEqual([11, 12]);
  }, 20_000);
});
