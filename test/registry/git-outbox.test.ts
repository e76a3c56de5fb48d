import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { openDb, type Db } from '../../src/registry/db.js';
import { getExecution, putExecution, type Execution } from '../../src/registry/executions.js';
import {
  commitDeferral, finishedSinceLastCommit, markCommitted, markRestored, noteCommitDeferral, pendingCount, queuedFiles, queueFile, recordBranch, recordedBranch, unqueue,
} from '../../src/registry/git-outbox.js';
import { testdir } from '../helpers/repo.js';

function freshDb(): Db {
  const db = openDb(path.join(testdir(), 'hub.db'));
  db.prepare("INSERT INTO connectors (id, name, prompt, created_at, updated_at) VALUES ('a', 'A', 'Hi', '2026-01-01', '2026-01-01')").run();
  return db;
}

function run(id: string, fields: Partial<Execution> = {}): Execution {
  return {
    id, connectorId: 'a', status: 'success', trigger: 'schedule', attempt: 1, parentId: null, specHash: 'h1', gitCommit: null,
    scheduledFor: null, inputs: { topic: 'x' }, renderedPrompt: 'Hi', argv: ['claude', '-p'], result: 'done', savedTo: 'reports/a.md', outputTruncated: true,
    costUsd: 0.0012, usage: { input_tokens: 3 }, sessionId: 's', numTurns: 1, durationMs: 12, exitCode: 0, errorKind: null, error: null,
    validationErrors: null, permissionDenials: [], transcript: null, createdAt: '2026-11-25T10:00:00.000Z', notBefore: null,
    startedAt: '2026-11-25T10:00:01.000Z', finishedAt: '2026-11-25T10:00:02.000Z', worker: null, ...fields,
  };
}

describe('the git outbox', () => {
  it('queues each file once, in path order, and forgets the ones taken off', () => {
    const db = freshDb();
    queueFile(db, { path: 'state/runs/a/r2.json', kind: 'run', runId: 'r2' });
    queueFile(db, { path: 'reports/out.md', kind: 'output', runId: null });
    queueFile(db, { path: 'state/runs/a/r2.json', kind: 'run', runId: 'r2' }); // written again: still one entry
    expect(pendingCount(db)).toBe(2);
    expect(queuedFiles(db)).toEqual([
      { path: 'reports/out.md', kind: 'output', runId: null },
      { path: 'state/runs/a/r2.json', kind: 'run', runId: 'r2' },
    ]);
    unqueue(db, 'reports/out.md');
    expect(queuedFiles(db).map((f) => f.path)).toEqual(['state/runs/a/r2.json']);
  });

  it('after a commit, looks for unrecorded runs only among those finished since it, and never among queued ones', () => {
    const db = freshDb();
    putExecution(db, run('old', { createdAt: '2026-11-20T10:00:00.000Z', finishedAt: '2026-11-20T10:01:00.000Z' }));
    putExecution(db, run('new'));
    putExecution(db, run('queued'));
    putExecution(db, run('running', { status: 'running', finishedAt: null }));
    queueFile(db, { path: 'state/runs/a/queued.json', kind: 'run', runId: 'queued' });
    // Never committed: every finished run not queued may lack its record.
    expect(finishedSinceLastCommit(db).sort()).toEqual(['new', 'old']);
    markCommitted(db, ['state/runs/a/queued.json'], new Date('2026-11-24T00:00:00.000Z'));
    expect(pendingCount(db)).toBe(0);
    expect(finishedSinceLastCommit(db).sort()).toEqual(['new', 'queued']);
  });

  it('a commit that keeps the stamp (a record still unwritten) leaves the search where it was', () => {
    const db = freshDb();
    putExecution(db, run('r1'));
    queueFile(db, { path: 'state/runs/a/r1.json', kind: 'run', runId: 'r1' });
    markCommitted(db, ['state/runs/a/r1.json'], null);
    expect(pendingCount(db)).toBe(0);
    expect(finishedSinceLastCommit(db)).toEqual(['r1']);
  });

  it('after a restore, the read state counts as committed and the files a crash left are queued', () => {
    const db = freshDb();
    putExecution(db, run('r1'));
    putExecution(db, run('r2'));
    markRestored(db, [{ path: 'state/runs/a/r2.json', runId: 'r2' }], new Date('2026-11-26T00:00:00.000Z'));
    expect(queuedFiles(db)).toEqual([{ path: 'state/runs/a/r2.json', kind: 'run', runId: 'r2' }]);
    expect(finishedSinceLastCommit(db)).toEqual([]);
  });

  it('keeps the branch state is committed on and why commits wait, between starts', () => {
    const file = path.join(testdir(), 'hub.db');
    const first = openDb(file);
    expect(recordedBranch(first)).toBeNull();
    expect(commitDeferral(first)).toBeNull();
    recordBranch(first, 'main');
    noteCommitDeferral(first, { reason: 'a rebase is in progress', paused: false, since: '2026-11-26T03:00:00.000Z' });
    first.close();
    const next = openDb(file);
    expect(recordedBranch(next)).toBe('main');
    expect(commitDeferral(next)).toEqual({ reason: 'a rebase is in progress', paused: false, since: '2026-11-26T03:00:00.000Z' });
    noteCommitDeferral(next, null);
    expect(commitDeferral(next)).toBeNull();
    next.close();
  });
});

describe('the execution row', () => {
  it('a run written as recorded reads back the same, JSON fields, flags and nulls included', () => {
    const db = freshDb();
    const e = run('r1');
    putExecution(db, e);
    expect(getExecution(db, 'r1')).toEqual(e);
    const bare = run('r2', { inputs: null, argv: null, usage: null, outputTruncated: false, permissionDenials: null, costUsd: null });
    putExecution(db, bare);
    expect(getExecution(db, 'r2')).toEqual(bare);
    const remote = run('r3', { worker: { name: 'w1', host: 'b', pid: 7, agentVersion: '2.1.197 (Claude Code)' } });
    putExecution(db, remote);
    expect(getExecution(db, 'r3')).toEqual(remote);
  });
});
