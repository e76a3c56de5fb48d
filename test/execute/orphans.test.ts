import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Hub } from '../../src/hub.js';
import { dbPath, openDb } from '../../src/registry/db.js';
import { getExecution, insertExecution, markRunning } from '../../src/registry/executions.js';
import { testdir } from '../helpers/repo.js';
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
});
