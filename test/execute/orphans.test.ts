import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Hub } from '../../src/hub.js';
import { dbPath, openDb } from '../../src/registry/db.js';
import { getExecution, insertExecution, markRunning } from '../../src/registry/executions.js';
import { testdir } from '../helpers/repo.js';
import { eventually } from '../helpers/fake-agent.js';
import { abandonOwnRuns } from '../../src/execute/orphans.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { identify, type ProcessIdentity } from '../../src/execute/procfs.js';
import { running } from '../helpers/procs.js';

describe('agents a crash left running', () => {
  it('a recorded pid that now belongs to another process is never signalled; the run is still marked interrupted', async () => {
    const root = testdir({ 'connectors/a.yaml': JSON.stringify({ prompt: 'x' }) });
    const first = new Hub({ repo: root, env: { PATH: process.env.PATH } });
    await first.start();
    await first.stop(0);

    // As a hub killed mid-run leaves it, except that the agent's pid has since gone to a
    // process of its own group (as an agent's would be) started at another time.
    const stranger = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    onTestFinished(() => {
      stranger.kill('SIGKILL');
    });
    const pid = stranger.pid as number;
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const db = openDb(dbPath(root));
    insertExecution(db, { id: 'r1', connectorId: 'a', trigger: 'api', attempt: 1, parentId: null, specHash: 'h', gitCommit: null, scheduledFor: null, inputs: {}, createdAt: new Date() });
    markRunning(db, 'r1', { startedAt: new Date(), renderedPrompt: 'x', argv: ['claude'], agentProcess: { pid, process: { pid, startTime: '1', bootId }, hub: null, cgroup: null } });
    db.close();

    const hub = new Hub({ repo: root, env: { PATH: process.env.PATH }, killGraceMs: 300 });
    await hub.start();
    onTestFinished(() => hub.stop(0));
    expect(getExecution(hub.db, 'r1')).toMatchObject({ status: 'failed', errorKind: 'interrupted' });
    expect(running(pid)).toBe(true);
  });

  it('a forced exit kills the agents this very process started and records their runs interrupted; a row of an earlier process that had its pid is left alone', async () => {
    const root = testdir({ 'connectors/a.yaml': JSON.stringify({ prompt: 'x' }) });
    const db = openDb(dbPath(root));
    onTestFinished(() => {
      db.close();
    });
    await reconcile(root, db);
    // Two agents, each leading its own group as a spawned agent does.
    const mine = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const stranger = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    onTestFinished(() => {
      mine.kill('SIGKILL');
      stranger.kill('SIGKILL');
    });
    const self = identify(process.pid) as ProcessIdentity;
    const agentOf = (p: typeof mine, hub: ProcessIdentity) => ({ pid: p.pid as number, process: identify(p.pid as number), hub, cgroup: null });
    for (const [id, p, hub] of [['r-mine', mine, self], ['r-earlier', stranger, { ...self, startTime: '1' }]] as const) {
      insertExecution(db, { id, connectorId: 'a', trigger: 'api', attempt: 1, parentId: null, specHash: 'h', gitCommit: null, scheduledFor: null, inputs: {}, createdAt: new Date() });
      markRunning(db, id, { startedAt: new Date(), renderedPrompt: 'x', argv: ['sleep'], agentProcess: agentOf(p, hub) });
    }
    expect(abandonOwnRuns(db, new Date())).toBe(1);
    expect(getExecution(db, 'r-mine')).toMatchObject({ status: 'failed', errorKind: 'interrupted' });
    await eventually(() => expect(running(mine.pid as number)).toBe(false));
    // An earlier process with this pid (a crashed hub's record): not ours, never signalled here.
    expect(getExecution(db, 'r-earlier')?.status).toBe('running');
    expect(running(stranger.pid as number)).toBe(true);
  });
});
