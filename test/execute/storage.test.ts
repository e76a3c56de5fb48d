import { describe, expect, it, onTestFinished } from 'vitest';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Hub } from '../../src/hub.js';
import { getExecution, type Execution } from '../../src/registry/executions.js';
import { testdir, writeFiles } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { fillDisk } from '../helpers/disk.js';
import { StorageHealth } from '../../src/registry/storage.js';
import { HealthFile, readDaemonHealth } from '../../src/daemon/health-file.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

describe('a registry that cannot grow (SQLite: database or disk is full)', () => {
  it('a run that finishes meanwhile is kept in memory and recorded once, when writes succeed again', async () => {
    const root = testdir({ 'connectors/s.yaml': yaml({ prompt: 'x\n@fake sleep 0.5\n@fake huge 60000' }) });
    const hub = new Hub({ repo: root, env: fakeClaudeEnv().env, storageRetryMs: 50 });
    onTestFinished(() => hub.stop(0).catch(() => undefined));
    await hub.start();
    const finished: Execution[] = [];
    hub.executor.onFinished((e) => finished.push(e));

    const r = hub.run('s');
    if (r.status !== 'queued') throw new Error(JSON.stringify(r));
    await eventually(() => expect(getExecution(hub.db, r.id)?.status).toBe('running'));
    // The database may not grow by one page: the finish (a 60 KB result) cannot be written.
    hub.db.pragma(`max_page_count = ${hub.db.pragma('page_count', { simple: true }) as number}`);
    await eventually(() => expect(hub.executor.unrecordedRuns).toBe(1), 5000);
    expect(hub.health()).toMatchObject({ status: 'degraded', reasons: [`disk full: ${path.join(root, '.agent-hub/hub.db')}`], storage: { unrecordedRuns: 1 } });
    expect(getExecution(hub.db, r.id)?.status).toBe('running');
    expect(finished).toEqual([]);

    hub.db.pragma('max_page_count = 1073741823');
    const e = await hub.executor.wait(r.id);
    expect(e).toMatchObject({ status: 'success' });
    expect(e.result).toHaveLength(60000);
    await eventually(() => expect(hub.health()).toMatchObject({ status: 'ok', reasons: [], storage: null }), 5000);
    expect(finished.map((x) => x.id)).toEqual([r.id]);
  });

  // A disk that is really full: SQLite cannot even append to its WAL (max_page_count leaves in-place updates alone).
  it.skipIf(process.getuid?.() !== 0)('a queued run that starts while the disk is full runs all the same, and is recorded once there is room', async () => {
    const mount = testdir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mount]);
    onTestFinished(() => void spawnSync('umount', ['-l', mount]));
    const root = path.join(mount, 'hub');
    writeFiles(root, { 'hub.yaml': 'concurrency: 1\n', 'connectors/s.yaml': yaml({ prompt: 'x {{run.id}}\n@fake sleep 0.5', concurrency: 'allow' }) });
    const hub = new Hub({ repo: root, env: fakeClaudeEnv().env, storageRetryMs: 50 });
    onTestFinished(() => hub.stop(0).catch(() => undefined));
    await hub.start();
    const first = hub.run('s');
    const second = hub.run('s');
    if (first.status !== 'queued' || second.status !== 'queued') throw new Error(JSON.stringify([first, second]));
    await eventually(() => expect(getExecution(hub.db, first.id)?.status).toBe('running'));
    // The second starts when the first ends, while nothing can be written: what it would record of its start waits.
    const filler = path.join(mount, 'filler');
    fillDisk(filler);
    await eventually(() => expect(hub.executor.unrecordedRuns).toBe(2), 10_000);
    rmSync(filler);
    for (const id of [first.id, second.id]) expect(await hub.executor.wait(id)).toMatchObject({ status: 'success', error: null });
  });

  it('status reads the latest reason while degraded: a later failure that says more (the file that is full) rewrites the health file', () => {
    const root = testdir({ '.agent-hub/.keep': '' });
    const dbFile = path.join(root, '.agent-hub/hub.db');
    const storage = new StorageHealth({ dbFile, retryMs: 60_000 });
    onTestFinished(() => void storage.stop());
    const file = new HealthFile(root);
    onTestFinished(() => file.remove());
    storage.onChange(() => file.write({ status: storage.problem ? 'degraded' : 'ok', reasons: storage.problem ? [storage.problem.reason] : [], storage: storage.problem ? { ...storage.problem, unrecordedRuns: 0 } : null }));
    // First a write with no path in its error (a git object, say), then SQLite's own.
    storage.note('a run record', Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    expect(readDaemonHealth(root)?.reasons).toEqual(['disk full']);
    storage.note('the registry', Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }));
    expect(readDaemonHealth(root)?.reasons).toEqual([`disk full: ${dbFile}`]);
    // The same failure again without its file keeps the file named.
    storage.note('a run record', Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    expect(readDaemonHealth(root)?.reasons).toEqual([`disk full: ${dbFile}`]);
    expect(storage.problem?.reason).toBe(`disk full: ${dbFile}`);
  });
});

