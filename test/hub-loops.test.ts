import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import path from 'node:path';
import { Hub } from '../src/hub.js';
import { HubLoops } from '../src/hub-loops.js';
import { GitState } from '../src/gitstate/state.js';
import { openDb } from '../src/registry/db.js';
import type { HubConfig } from '../src/spec/hub-config.js';
import { silentLogger } from '../src/log/logger.js';
import { git, gitdir, testdir, writeFiles } from './helpers/repo.js';
import { eventually, fakeClaudeEnv } from './helpers/fake-agent.js';

describe("the hub's loops", () => {
  afterEach(() => vi.useRealTimers());

  it('pull runs only while hub.yaml enables the remote, resync always, at the intervals hub.yaml sets now; a drain stops both', () => {
    const root = testdir();
    const db = openDb(path.join(root, '.agent-hub', 'hub.db'));
    onTestFinished(() => {
      db.close();
    });
    const quiet: HubConfig = { state: { commitInterval: '1h' } };
    const gitState = new GitState(db, root, quiet);
    const ran = { pull: 0, resync: 0 };
    const loops = new HubLoops({ gitState, inGit: true, log: silentLogger, tasks: { pull: () => ran.pull++, resync: () => ran.resync++ } });
    vi.useFakeTimers();
    loops.start(quiet);
    vi.advanceTimersByTime(5 * 60_000);
    expect(ran).toEqual({ pull: 0, resync: 1 }); // no remote: no pull; resync every 5m by default
    const remote: HubConfig = { ...quiet, remote: { enabled: true, pullInterval: '10s' }, resync: { interval: '1m' } };
    gitState.reconfigure(remote);
    loops.arm(remote);
    vi.advanceTimersByTime(60_000);
    expect(ran).toEqual({ pull: 6, resync: 2 });
    loops.drain();
    vi.advanceTimersByTime(60_000);
    expect(ran).toEqual({ pull: 6, resync: 2 });
    loops.stop();
  });

  it('outside a git repository only the resync runs', () => {
    const root = testdir();
    const db = openDb(path.join(root, '.agent-hub', 'hub.db'));
    onTestFinished(() => {
      db.close();
    });
    const config: HubConfig = { remote: { enabled: true, pullInterval: '10s' }, resync: { interval: '10s' } };
    const ran = { pull: 0, resync: 0 };
    const loops = new HubLoops({ gitState: new GitState(db, root, config), inGit: false, log: silentLogger, tasks: { pull: () => ran.pull++, resync: () => ran.resync++ } });
    vi.useFakeTimers();
    loops.start(config);
    vi.advanceTimersByTime(30_000);
    loops.stop();
    expect(ran).toEqual({ pull: 0, resync: 3 });
  });

  it('a shorter state.commitInterval in hub.yaml commits on the new rhythm without a restart', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'hub.yaml': 'state:\n  commitInterval: 10m\n', 'connectors/a.yaml': JSON.stringify({ prompt: 'hello' }) });
    const hub = new Hub({ repo: root, env: fakeClaudeEnv().env });
    onTestFinished(async () => {
      try { await hub.stop(0); } catch { /* stopped */ }
    });
    await hub.start();
    const run = await hub.executor.waitFinal((hub.run('a') as { id: string }).id);
    writeFiles(root, { 'hub.yaml': 'state:\n  commitInterval: 200ms\n' });
    await hub.reconcile('files');
    await eventually(() => expect(git(root, 'log', '-1', '--format=%B')).toContain(`Agent-Hub-Run: ${run.id} a success`), 5000);
  });
});
