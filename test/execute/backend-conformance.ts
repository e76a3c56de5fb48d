// The promises every execution backend keeps, whichever runs the agents (in this process,
// or workers elsewhere): run `describeBackend(name, make)` from a test file per backend.
// The hub's side (records, overlap, budget, retries) is the same for all; these tests check
// what a user sees through it, and the backend contract itself (backend.ts).
import { describe, expect, it, onTestFinished } from 'vitest';
import path from 'node:path';
import type { Finish } from '../../src/registry/executions.js';
import { getExecution, listExecutions, type Execution } from '../../src/registry/executions.js';
import { getConnector } from '../../src/registry/connectors.js';
import { openDb, type Db } from '../../src/registry/db.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { loadHubConfig } from '../../src/spec/hub-config.js';
import { silentLogger } from '../../src/log/logger.js';
import { runSettings, type BackendMaker, type Job } from '../../src/execute/backend.js';
import { createExecution } from '../../src/execute/factory.js';
import type { Executor } from '../../src/execute/executor.js';
import { testdir, type Files } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { running as processRunning } from '../helpers/procs.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
const queuedId = (r: ReturnType<Executor['submit']>): string => {
  if (r.status !== 'queued') throw new Error(`not queued: ${JSON.stringify(r)}`);
  return r.id;
};

export function describeBackend(name: string, make: BackendMaker): void {
  /** A registry with these connectors applied, and execution on the backend under test. */
  async function setup(files: Files, opts: { root?: string } = {}) {
    const root = opts.root ?? testdir(files);
    const db = openDb(path.join(root, '.agent-hub/hub.db'));
    await reconcile(root, db);
    const fake = fakeClaudeEnv();
    const made: Executor[] = [];
    const start = () => {
      const executor = createExecution({ db, root, hub: loadHubConfig(root).config, env: fake.env, killGraceMs: 200, backend: make });
      made.push(executor);
      return executor;
    };
    onTestFinished(async () => {
      for (const executor of made) await executor.stop(0);
      db.close();
    });
    return { root, db, fake, executor: start(), restart: start };
  }

  describe(`execution backend: ${name}`, () => {
    describe('runs', () => {
      it('a submitted run is recorded from start to finish and announced once, when recorded', async () => {
        const { executor, db } = await setup({ 'connectors/a.yaml': yaml({ prompt: 'hello' }) });
        const announced: Execution[] = [];
        executor.onFinished((e) => announced.push(e));
        const id = queuedId(executor.submit({ connectorId: 'a', trigger: 'manual' }));
        const e = await executor.wait(id);
        expect(e).toMatchObject({ status: 'success', trigger: 'manual', attempt: 1, result: 'Done: hello', renderedPrompt: 'hello', costUsd: 0.0012 });
        expect(e.startedAt).not.toBeNull();
        expect(e.argv?.[0]).toBe('claude');
        expect(getExecution(db, id)).toEqual(e);
        expect(announced).toEqual([e]);
      });

      it('a slot runs at most once, however often it is submitted', async () => {
        const { executor, db } = await setup({ 'connectors/s.yaml': yaml({ prompt: 'x', schedule: '0 * * * *', concurrency: 'allow' }) });
        const slot = new Date('2026-01-01T10:00:00Z');
        const first = executor.submit({ connectorId: 's', trigger: 'schedule', scheduledFor: slot });
        const second = executor.submit({ connectorId: 's', trigger: 'schedule', scheduledFor: slot });
        const third = executor.submit({ connectorId: 's', trigger: 'catch-up', scheduledFor: slot });
        expect(first.status).toBe('queued');
        expect(second).toMatchObject({ status: 'refused', reason: 'duplicate-slot' });
        expect(third).toMatchObject({ status: 'refused', reason: 'duplicate-slot' });
        await executor.wait(queuedId(first));
        expect(listExecutions(db, { connectorId: 's' })).toHaveLength(1);
      });
    });

    describe('concurrency limit', () => {
      it('never runs more agents at once than hub.yaml allows, and loses none', async () => {
        const files: Files = { 'hub.yaml': 'concurrency: 2\n' };
        for (let i = 0; i < 6; i++) files[`connectors/c${i}.yaml`] = yaml({ prompt: 'x\n@fake sleep 0.25' });
        const { executor, fake } = await setup(files);
        let peak = 0;
        const sampler = setInterval(() => (peak = Math.max(peak, fake.livePids().length, executor.active)), 5);
        const ids = Array.from({ length: 6 }, (_, i) => queuedId(executor.submit({ connectorId: `c${i}`, trigger: 'api' })));
        await eventually(() => expect([executor.active, executor.queued]).toEqual([2, 4]));
        const done = await Promise.all(ids.map((id) => executor.wait(id)));
        clearInterval(sampler);
        expect(done.every((e) => e.status === 'success')).toBe(true);
        expect(peak).toBe(2);
        expect([executor.active, executor.queued]).toEqual([0, 0]);
      });
    });

    describe('overlap policies', () => {
      const slow = (concurrency: string) => yaml({ prompt: 'x\n@fake sleep 0.6', concurrency });

      it('forbid (the default) refuses a run while one is running, without recording it', async () => {
        const { executor, db } = await setup({ 'connectors/s.yaml': yaml({ prompt: 'x\n@fake sleep 0.6' }) });
        const first = queuedId(executor.submit({ connectorId: 's', trigger: 'api' }));
        expect(executor.submit({ connectorId: 's', trigger: 'api' })).toMatchObject({ status: 'refused', reason: 'overlap' });
        await executor.wait(first);
        expect(listExecutions(db, { connectorId: 's' })).toHaveLength(1);
        expect(executor.submit({ connectorId: 's', trigger: 'api' }).status).toBe('queued'); // free again
      });

      it('allow runs them side by side', async () => {
        const { executor, fake } = await setup({ 'connectors/s.yaml': slow('allow') });
        const a = queuedId(executor.submit({ connectorId: 's', trigger: 'api' }));
        const b = queuedId(executor.submit({ connectorId: 's', trigger: 'api' }));
        await eventually(() => expect(fake.livePids().length).toBe(2));
        expect((await executor.wait(a)).status).toBe('success');
        expect((await executor.wait(b)).status).toBe('success');
      });

      it('replace cancels the running one and records it as cancelled', async () => {
        const { executor, db } = await setup({ 'connectors/s.yaml': slow('replace') });
        const a = queuedId(executor.submit({ connectorId: 's', trigger: 'api' }));
        await eventually(() => expect(getExecution(db, a)?.status).toBe('running'));
        const b = queuedId(executor.submit({ connectorId: 's', trigger: 'api' }));
        expect(await executor.wait(a)).toMatchObject({ status: 'failed', errorKind: 'cancelled', error: 'cancelled: replaced by a new api run' });
        expect((await executor.wait(b)).status).toBe('success');
      });
    });

    describe('cancel', () => {
      it('a queued run is recorded as cancelled and its agent never starts; a running one is stopped', async () => {
        const { executor, fake } = await setup({ 'hub.yaml': 'concurrency: 1\n', 'connectors/s.yaml': yaml({ prompt: 'x\n@fake sleep 30', concurrency: 'allow' }) });
        const running = queuedId(executor.submit({ connectorId: 's', trigger: 'api' }));
        const waiting = queuedId(executor.submit({ connectorId: 's', trigger: 'api' }));
        await eventually(() => expect(fake.livePids().length).toBe(1));
        const [pid] = fake.livePids();
        expect(executor.cancel(waiting, 'not needed')).toBe(true);
        expect(await executor.wait(waiting)).toMatchObject({ status: 'failed', errorKind: 'cancelled', error: 'not needed', startedAt: null, argv: null });
        expect(executor.cancel(running, 'interrupted from the terminal')).toBe(true);
        expect(await executor.wait(running)).toMatchObject({ status: 'failed', errorKind: 'cancelled', error: 'cancelled: interrupted from the terminal' });
        await eventually(() => expect(processRunning(pid as number)).toBe(false));
        expect(fake.livePids().filter((p) => p !== pid)).toEqual([]); // the cancelled waiting run never spawned
        expect(executor.cancel(running)).toBe(false); // over already
      });
    });

    describe('stop', () => {
      it('drains: a run that ends within the grace period succeeds, queued runs are cancelled, a late one is stopped', async () => {
        const { executor, db } = await setup({
          'hub.yaml': 'concurrency: 2\n',
          'connectors/quick.yaml': yaml({ prompt: 'x\n@fake sleep 0.1' }),
          'connectors/slow.yaml': yaml({ prompt: 'x\n@fake sleep 30' }),
          'connectors/later.yaml': yaml({ prompt: 'x' }),
        });
        const quick = queuedId(executor.submit({ connectorId: 'quick', trigger: 'api' }));
        const slow = queuedId(executor.submit({ connectorId: 'slow', trigger: 'api' }));
        const later = queuedId(executor.submit({ connectorId: 'later', trigger: 'api' }));
        await eventually(() => expect(getExecution(db, slow)?.status).toBe('running'));
        await executor.stop(2000);
        expect(getExecution(db, quick)).toMatchObject({ status: 'success' });
        expect(getExecution(db, slow)).toMatchObject({ status: 'failed', errorKind: 'cancelled', error: 'cancelled: the hub stopped' });
        expect(getExecution(db, later)).toMatchObject({ status: 'failed', errorKind: 'cancelled', error: 'the hub stopped before this run started' });
        expect(executor.submit({ connectorId: 'later', trigger: 'api' })).toMatchObject({ status: 'refused', reason: 'stopping' });
      });
    });

    describe('retries', () => {
      it('retries with backoff; each attempt is its own row linked to the first, announced once', async () => {
        const { executor, db } = await setup({ 'connectors/flaky.yaml': yaml({ prompt: 'x\n@fake is_error overloaded', retry: { attempts: 3, backoff: { initial: '50ms', max: '80ms' } } }) });
        const announced: string[] = [];
        executor.onFinished((e) => announced.push(e.id));
        const id = queuedId(executor.submit({ connectorId: 'flaky', trigger: 'api' }));
        const last = await executor.waitFinal(id);
        const rows = listExecutions(db, { connectorId: 'flaky' }).reverse();
        expect(rows.map((e) => [e.attempt, e.trigger, e.parentId, e.status])).toEqual([
          [1, 'api', null, 'failed'], [2, 'retry', id, 'failed'], [3, 'retry', id, 'failed'],
        ]);
        expect(last.id).toBe(rows[2]?.id);
        expect(announced).toEqual(rows.map((e) => e.id));
        // Each retry is recorded when it is scheduled, and starts once its backoff is over.
        expect(Date.parse(rows[1]?.notBefore as string) - Date.parse(rows[0]?.finishedAt as string)).toBeGreaterThanOrEqual(45);
        expect(Date.parse(rows[1]?.startedAt as string) - Date.parse(rows[0]?.finishedAt as string)).toBeGreaterThanOrEqual(45);
      });

      it('does not retry what a retry cannot fix (a missing program)', async () => {
        const { executor, db } = await setup({ 'connectors/c.yaml': yaml({ prompt: 'x', agent: { type: 'command', command: ['no-such-program-here'] }, retry: { attempts: 3, backoff: { initial: '10ms' } } }) });
        const e = await executor.waitFinal(queuedId(executor.submit({ connectorId: 'c', trigger: 'api' })));
        expect(e.errorKind).toBe('spawn-error');
        await new Promise((r) => setTimeout(r, 100));
        expect(listExecutions(db, { connectorId: 'c' })).toHaveLength(1);
      });

      it('a retry waiting for its backoff runs after a restart of execution', async () => {
        const { executor, restart } = await setup({ 'connectors/r.yaml': yaml({ prompt: 'try {{run.attempt}}\n{{#if (eq run.attempt 1)}}@fake is_error overloaded{{/if}}', retry: { attempts: 2, backoff: { initial: '300ms' } } }) });
        const id = queuedId(executor.submit({ connectorId: 'r', trigger: 'api' }));
        await executor.wait(id);
        await executor.stop(0); // the retry is recorded, its timer gone
        const next = restart();
        expect(next.resumeRetries()).toBe(1);
        expect(await next.waitFinal(id)).toMatchObject({ attempt: 2, status: 'success', trigger: 'retry', parentId: id, result: 'Done: try 2' });
      });
    });

    describe('budget', () => {
      it('stops new runs for the day once maxCostUsdPerDay is spent, recording a failed run of kind budget', async () => {
        const { executor, db, fake } = await setup({ 'connectors/b.yaml': yaml({ prompt: 'x\n@fake cost 0.3', budget: { maxCostUsdPerDay: 0.5 } }) });
        const announced: string[] = [];
        executor.onFinished((e) => announced.push(e.id));
        expect((await executor.waitFinal(queuedId(executor.submit({ connectorId: 'b', trigger: 'api' })))).status).toBe('success');
        expect((await executor.waitFinal(queuedId(executor.submit({ connectorId: 'b', trigger: 'api' })))).status).toBe('success'); // 0.3 < 0.5 before it
        const third = executor.submit({ connectorId: 'b', trigger: 'api' });
        expect(third).toMatchObject({ status: 'failed', reason: 'budget' });
        const e = getExecution(db, (third as { id: string }).id);
        expect(e).toMatchObject({ status: 'failed', errorKind: 'budget' });
        expect(e?.error).toContain('$0.6000 spent today of $0.5');
        expect(fake.calls()).toHaveLength(2);
        expect(announced).toHaveLength(3);
      });

      it('holds maxCostUsdPerRun for each run in progress, so parallel runs cannot overshoot the day', async () => {
        const { executor } = await setup({ 'connectors/p.yaml': yaml({ prompt: 'x\n@fake sleep 0.5', concurrency: 'allow', budget: { maxCostUsdPerRun: 0.4, maxCostUsdPerDay: 1 } }) });
        const runs = [0, 1, 2].map(() => executor.submit({ connectorId: 'p', trigger: 'api' }));
        expect(runs.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']); // $0.80 held < $1
        expect(executor.submit({ connectorId: 'p', trigger: 'api' })).toMatchObject({ status: 'failed', reason: 'budget', message: expect.stringContaining('$0.0000 spent today and $1.2000 held for runs in progress of $1') });
        for (const r of runs) await executor.wait(queuedId(r));
      });
    });

    describe('the backend contract', () => {
      /** Started ids with the first two, which start together, in submission order. */
      const startOrder = (ids: string[]) => [...ids.slice(0, 2).sort(), ...ids.slice(2)];

      /** The backend alone, on jobs for connectors of a real registry. */
      async function bare(files: Files, concurrency: number) {
        const { db, root, fake } = await setup(files);
        const backend = make({ root, env: fake.env, log: silentLogger, now: () => new Date(), killGraceMs: 200, settings: { ...runSettings(undefined), concurrency } });
        onTestFinished(() => backend.stop(0));
        const started: string[] = [];
        const finished: Array<[string, Finish]> = [];
        backend.onStarted((id) => started.push(id));
        backend.onFinished((id, f) => finished.push([id, f]));
        return { backend, db, fake, started, finished, job: (id: string, connectorId: string) => jobFor(db, id, connectorId) };
      }

      it('reports every job finished exactly once, after its start: ran, cancelled waiting, cancelled running, drained', async () => {
        const { backend, started, finished, job } = await bare({ 'connectors/quick.yaml': yaml({ prompt: 'x' }), 'connectors/slow.yaml': yaml({ prompt: 'x\n@fake sleep 30' }) }, 2);
        backend.submit(job('j1', 'quick'));
        backend.submit(job('j2', 'slow'));
        backend.submit(job('j3', 'slow'));
        backend.submit(job('j4', 'slow'));
        backend.submit(job('j1', 'quick')); // the same job again: taken once
        await eventually(() => expect(finished.map(([id]) => id)).toContain('j1'));
        // j1 and j2 start at once (a limit of 2), in either order; j3 takes j1's place; j4 waits.
        await eventually(() => expect(startOrder(started)).toEqual(['j1', 'j2', 'j3']));
        expect(backend.cancel('j4', 'not needed')).toBe(true);
        expect(backend.cancel('j3', 'replaced')).toBe(true);
        expect(backend.cancel('nope', 'x')).toBe(false);
        await eventually(() => expect(finished.map(([id]) => id).sort()).toEqual(['j1', 'j3', 'j4']));
        await backend.stop(50);
        const byId = new Map(finished);
        expect(finished).toHaveLength(4);
        expect(byId.get('j1')).toMatchObject({ status: 'success', result: 'Done: x' });
        expect(byId.get('j2')).toMatchObject({ status: 'failed', errorKind: 'cancelled', error: 'cancelled: the hub stopped' });
        expect(byId.get('j3')).toMatchObject({ status: 'failed', errorKind: 'cancelled', error: 'cancelled: replaced' });
        expect(byId.get('j4')).toMatchObject({ status: 'failed', errorKind: 'cancelled', error: 'not needed' });
        expect(startOrder(started)).toEqual(['j1', 'j2', 'j3']);
      });

      it('counts waiting and running jobs; a higher limit starts waiting jobs at once', async () => {
        const { backend, job, finished } = await bare({ 'connectors/s.yaml': yaml({ prompt: 'x\n@fake sleep 0.4' }) }, 1);
        for (const id of ['a', 'b', 'c']) backend.submit(job(id, 's'));
        await eventually(() => expect(backend.counts()).toEqual({ queued: 2, running: 1 }));
        backend.configure({ ...runSettings(undefined), concurrency: 3 });
        await eventually(() => expect(backend.counts()).toEqual({ queued: 0, running: 3 }));
        await eventually(() => expect(finished).toHaveLength(3));
        expect(backend.counts()).toEqual({ queued: 0, running: 0 });
        expect(finished.every(([, f]) => f.status === 'success')).toBe(true);
      });
    });
  });
}

function jobFor(db: Db, id: string, connectorId: string): Job {
  const c = getConnector(db, connectorId);
  if (!c) throw new Error(`no connector ${connectorId}`);
  return { id, connectorId, attempt: 1, trigger: 'api', scheduledFor: null, version: c.version, gitCommit: c.gitCommit, inputs: {} };
}
