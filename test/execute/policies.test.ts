import { describe, expect, it, onTestFinished } from 'vitest';
import { readdirSync } from 'node:fs';
import { Hub } from '../../src/hub.js';
import { listExecutions, getExecution, recordSlot } from '../../src/registry/executions.js';
import { openDb } from '../../src/registry/db.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { testdir, writeFiles, type Files } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import path from 'node:path';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

async function hubWith(files: Files, opts: { root?: string; env?: Record<string, string> } = {}) {
  const root = opts.root ?? testdir(files);
  if (opts.root) writeFiles(root, files);
  const fake = fakeClaudeEnv(opts.env);
  const hub = new Hub({ repo: root, env: fake.env, killGraceMs: 200 });
  onTestFinished(async () => {
    try { await hub.stop(0); } catch { /* stopped by the test */ }
  });
  await hub.start();
  return { root, hub, fake };
}

describe('retries', () => {
  it('retries with backoff; each attempt is its own row linked to the first', async () => {
    const { hub } = await hubWith({ 'connectors/flaky.yaml': yaml({ prompt: 'x\n@fake is_error overloaded', retry: { attempts: 3, backoff: { initial: '50ms', max: '80ms' } } }) });
    const r = hub.run('flaky') as { id: string };
    const last = await hub.executor.waitFinal(r.id);
    const rows = listExecutions(hub.db, { connectorId: 'flaky' }).reverse();
    expect(rows.map((e) => [e.attempt, e.trigger, e.parentId, e.status])).toEqual([
      [1, 'api', null, 'failed'], [2, 'retry', r.id, 'failed'], [3, 'retry', r.id, 'failed'],
    ]);
    expect(last.id).toBe(rows[2]?.id);
    // Each retry is recorded when it is scheduled, and starts once its backoff is over.
    expect(Date.parse(rows[1]?.notBefore as string) - Date.parse(rows[0]?.finishedAt as string)).toBeGreaterThanOrEqual(45);
    expect(Date.parse(rows[1]?.startedAt as string) - Date.parse(rows[0]?.finishedAt as string)).toBeGreaterThanOrEqual(45);
  });

  it('does not retry what a retry cannot fix (a missing program, a budget stop)', async () => {
    const { hub } = await hubWith({ 'connectors/c.yaml': yaml({ prompt: 'x', agent: { type: 'command', command: ['no-such-program-here'] }, retry: { attempts: 3, backoff: { initial: '10ms' } } }) });
    const e = await hub.executor.waitFinal((hub.run('c') as { id: string }).id);
    expect(e.errorKind).toBe('spawn-error');
    await new Promise((r) => setTimeout(r, 100));
    expect(listExecutions(hub.db, { connectorId: 'c' })).toHaveLength(1);
  });

  it('a new connector version drops the pending retries of the old one', async () => {
    const { hub, root } = await hubWith({ 'connectors/f.yaml': yaml({ prompt: 'v1\n@fake is_error down', retry: { attempts: 2, backoff: { initial: '600ms', max: '1s' } } }) });
    const r = hub.run('f') as { id: string };
    await hub.executor.wait(r.id);
    writeFiles(root, { 'connectors/f.yaml': yaml({ prompt: 'v2', retry: { attempts: 2, backoff: { initial: '600ms', max: '1s' } } }) });
    await hub.reconcile();
    await new Promise((res) => setTimeout(res, 900));
    const rows = listExecutions(hub.db, { connectorId: 'f' }).reverse();
    expect(rows.map((e) => [e.attempt, e.status, e.errorKind])).toEqual([[1, 'failed', 'agent-error'], [2, 'failed', 'cancelled']]);
    expect(rows[1]?.error).toContain('a new version of the connector replaced the one this retry was for');
    expect(rows[1]?.startedAt).toBeNull();
  });

  it('a retry waiting for its backoff survives a restart of the hub', async () => {
    const root = testdir({ 'connectors/r.yaml': yaml({ prompt: 'try {{run.attempt}}\n{{#if (eq run.attempt 1)}}@fake is_error overloaded{{/if}}', retry: { attempts: 2, backoff: { initial: '400ms' } } }) });
    const first = await hubWith({}, { root });
    const r = first.hub.run('r') as { id: string };
    await first.hub.executor.wait(r.id);
    await first.hub.stop(0); // the retry is recorded, its timer gone with this hub
    const pending = openDb(path.join(root, '.agent-hub/hub.db'));
    expect(listExecutions(pending, { connectorId: 'r', status: 'pending' }).map((e) => e.attempt)).toEqual([2]);
    pending.close();
    const second = await hubWith({}, { root });
    const last = await second.hub.executor.waitFinal(r.id);
    expect(last).toMatchObject({ attempt: 2, status: 'success', trigger: 'retry', parentId: r.id, result: 'Done: try 2' });
  });
});

describe('overlap policies', () => {
  const slow = (concurrency: string) => yaml({ prompt: 'x\n@fake sleep 0.6', concurrency });

  it('forbid (the default) refuses a run while one is running, without recording it', async () => {
    const { hub } = await hubWith({ 'connectors/s.yaml': yaml({ prompt: 'x\n@fake sleep 0.6' }) });
    const first = hub.run('s') as { id: string };
    expect(hub.run('s')).toMatchObject({ status: 'refused', reason: 'overlap' });
    await hub.executor.wait(first.id);
    expect(listExecutions(hub.db, { connectorId: 's' })).toHaveLength(1);
    expect(hub.run('s').status).toBe('queued'); // free again
  });

  it('allow runs them side by side', async () => {
    const { hub, fake } = await hubWith({ 'connectors/s.yaml': slow('allow') });
    const a = hub.run('s') as { id: string };
    const b = hub.run('s') as { id: string };
    await eventually(() => expect(fake.livePids().length).toBe(2));
    expect((await hub.executor.wait(a.id)).status).toBe('success');
    expect((await hub.executor.wait(b.id)).status).toBe('success');
  });

  it('replace cancels the running one and records it as cancelled', async () => {
    const { hub } = await hubWith({ 'connectors/s.yaml': slow('replace') });
    const a = hub.run('s') as { id: string };
    await eventually(() => expect(getExecution(hub.db, a.id)?.status).toBe('running'));
    const b = hub.run('s') as { id: string };
    expect((await hub.executor.wait(a.id))).toMatchObject({ status: 'failed', errorKind: 'cancelled', error: 'cancelled: replaced by a new api run' });
    expect((await hub.executor.wait(b.id)).status).toBe('success');
  });
});

describe('concurrency limit', () => {
  it('never runs more agents at once than hub.yaml allows, and loses none', async () => {
    const files: Files = { 'hub.yaml': 'concurrency: 2\n' };
    for (let i = 0; i < 6; i++) files[`connectors/c${i}.yaml`] = yaml({ prompt: 'x\n@fake sleep 0.25' });
    const { hub, fake } = await hubWith(files);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, fake.livePids().length, hub.executor.active)), 5);
    const ids = Array.from({ length: 6 }, (_, i) => (hub.run(`c${i}`) as { id: string }).id);
    expect(hub.executor.queued).toBe(4);
    const done = await Promise.all(ids.map((id) => hub.executor.wait(id)));
    clearInterval(sampler);
    expect(done.every((e) => e.status === 'success')).toBe(true);
    expect(peak).toBe(2);
  });
});

describe('hub.yaml changes', () => {
  it('a new concurrency limit applies at once; an invalid hub.yaml keeps the current settings', async () => {
    const files: Files = { 'hub.yaml': 'concurrency: 1\n', 'connectors/s.yaml': yaml({ prompt: 'x\n@fake sleep 0.8', concurrency: 'allow' }) };
    const { hub, root } = await hubWith(files);
    const ids = [0, 1, 2].map(() => (hub.run('s') as { id: string }).id);
    expect([hub.executor.active, hub.executor.queued]).toEqual([1, 2]);
    writeFiles(root, { 'hub.yaml': 'concurrency: 3\nserver: { port: 7999 }\n' });
    expect(hub.reloadConfig()).toEqual({ applied: true, restartNeeded: ['server'] });
    expect([hub.executor.active, hub.executor.queued]).toEqual([3, 0]);
    writeFiles(root, { 'hub.yaml': 'concurrency: many\n' });
    expect(hub.reloadConfig().applied).toBe(false);
    expect(hub.config.concurrency).toBe(3);
    await Promise.all(ids.map((id) => hub.executor.wait(id)));
  });
});

describe('budget', () => {
  it('stops new runs for the day once maxCostUsdPerDay is spent, recording a failed run of kind budget', async () => {
    const { hub, fake } = await hubWith({ 'connectors/b.yaml': yaml({ prompt: 'x\n@fake cost 0.3', budget: { maxCostUsdPerDay: 0.5 } }) });
    expect((await hub.executor.waitFinal((hub.run('b') as { id: string }).id)).status).toBe('success');
    expect((await hub.executor.waitFinal((hub.run('b') as { id: string }).id)).status).toBe('success'); // 0.3 < 0.5 before it
    const third = hub.run('b');
    expect(third).toMatchObject({ status: 'failed', reason: 'budget' });
    const e = getExecution(hub.db, (third as { id: string }).id);
    expect(e).toMatchObject({ status: 'failed', errorKind: 'budget' });
    expect(e?.error).toContain('$0.6000 spent today of $0.5');
    expect(fake.calls()).toHaveLength(2);
  });
});

describe('budget with runs side by side', () => {
  it('holds maxCostUsdPerRun for each run in progress, so parallel runs cannot overshoot the day', async () => {
    const { hub } = await hubWith({ 'connectors/p.yaml': yaml({ prompt: 'x\n@fake sleep 0.5', concurrency: 'allow', budget: { maxCostUsdPerRun: 0.4, maxCostUsdPerDay: 1 } }) });
    const runs = [hub.run('p'), hub.run('p'), hub.run('p')];
    expect(runs.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']); // $0.80 held < $1
    expect(hub.run('p')).toMatchObject({ status: 'failed', reason: 'budget', message: expect.stringContaining('$0.0000 spent today and $1.2000 held for runs in progress of $1') });
    for (const r of runs) await hub.executor.wait((r as { id: string }).id);
  });
});

describe('scheduled slots', () => {
  it('a slot runs at most once, however often it is submitted', async () => {
    const { hub } = await hubWith({ 'connectors/s.yaml': yaml({ prompt: 'x', schedule: '0 * * * *', concurrency: 'allow' }) });
    const slot = new Date('2026-01-01T10:00:00Z');
    const first = hub.executor.submit({ connectorId: 's', trigger: 'schedule', scheduledFor: slot });
    const second = hub.executor.submit({ connectorId: 's', trigger: 'schedule', scheduledFor: slot });
    const third = hub.executor.submit({ connectorId: 's', trigger: 'catch-up', scheduledFor: slot });
    expect(first.status).toBe('queued');
    expect(second).toMatchObject({ status: 'refused', reason: 'duplicate-slot' });
    expect(third).toMatchObject({ status: 'refused', reason: 'duplicate-slot' });
    await hub.executor.wait((first as { id: string }).id);
    expect(listExecutions(hub.db, { connectorId: 's' })).toHaveLength(1);
  });

  it('a real every-second schedule fires, with the exact slot time', async () => {
    const { hub } = await hubWith({ 'connectors/tick.yaml': yaml({ prompt: 'x', schedule: '* * * * * *' }) });
    await eventually(() => expect(listExecutions(hub.db, { connectorId: 'tick', status: 'success' }).length).toBeGreaterThan(0), 3000);
    const e = listExecutions(hub.db, { connectorId: 'tick' }).at(-1);
    expect(e?.trigger).toBe('schedule');
    expect(e?.scheduledFor).toMatch(/T\d\d:\d\d:\d\d\.000Z$/);
    expect(hub.scheduler.nextRun('tick')).not.toBeNull();
  });

  it('catches up the latest missed slot once after downtime, within the window, and not again on restart', async () => {
    const root = testdir({ 'connectors/c.yaml': yaml({ prompt: 'x', schedule: '*/5 * * * *', catchUp: '1h' }), 'connectors/late.yaml': yaml({ prompt: 'x', schedule: '0 0 1 1 *', catchUp: '1h' }) });
    // The hub ran before: it last handled a slot 20 minutes ago, then stopped.
    const db = openDb(path.join(root, '.agent-hub/hub.db'));
    await reconcile(root, db);
    const now = Date.now();
    recordSlot(db, 'c', new Date(Math.floor((now - 20 * 60_000) / 300_000) * 300_000));
    recordSlot(db, 'late', new Date(now - 400 * 86_400_000));
    db.close();

    const { hub } = await hubWith({}, { root });
    const runs = listExecutions(hub.db, { connectorId: 'c' });
    expect(runs.map((e) => e.trigger)).toEqual(['catch-up']);
    const expected = new Date(Math.floor(now / 300_000) * 300_000).toISOString();
    expect(runs[0]?.scheduledFor).toBe(expected);
    expect(listExecutions(hub.db, { connectorId: 'late' })).toEqual([]); // missed long ago, outside its window
    await hub.executor.wait(runs[0]?.id as string);
    await hub.stop(0);

    const again = await hubWith({}, { root });
    expect(listExecutions(again.hub.db, { connectorId: 'c' })).toHaveLength(1);
  });

  it('marks runs a crash left running as interrupted at the next start', async () => {
    const root = testdir({ 'connectors/c.yaml': yaml({ prompt: 'x' }) });
    const db = openDb(path.join(root, '.agent-hub/hub.db'));
    await reconcile(root, db);
    db.prepare("INSERT INTO executions (id, connector_id, status, created_at) VALUES ('crashed', 'c', 'running', '2026-01-01')").run();
    db.close();
    const { hub } = await hubWith({}, { root });
    expect(getExecution(hub.db, 'crashed')).toMatchObject({ status: 'failed', errorKind: 'interrupted' });
  });

  it('the live processes directory is empty once everything finished', async () => {
    const { hub, fake } = await hubWith({ 'connectors/a.yaml': yaml({ prompt: 'x' }) });
    await hub.executor.waitFinal((hub.run('a') as { id: string }).id);
    expect(readdirSync(fake.liveDir)).toEqual([]);
  });
});
