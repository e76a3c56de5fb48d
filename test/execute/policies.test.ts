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

// Retries, overlap, the concurrency limit, budgets and slot dedupe: backend-conformance.ts.
describe('retries', () => {
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

describe('scheduled slots', () => {
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
