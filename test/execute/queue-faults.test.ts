// What goes wrong around a queue, decided: the hub killed with runs on workers, Redis gone and back.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Hub } from '../../src/hub.js';
import { getExecution, listExecutions } from '../../src/registry/executions.js';
import { gitdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startDaemon } from '../helpers/daemon.js';
import { queueHub, queuePrefix, startWorker } from '../helpers/workers.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
const hubYaml = (url: string, prefix: string) => `concurrency: 8\nqueue: { type: bullmq, url: "${url}", prefix: ${prefix} }\n`;

describe('queue faults', () => {
  it('the hub killed with runs queued and results pending: the next start applies them, none lost or run twice', async () => {
    const prefix = queuePrefix();
    const root = gitdir({ 'hub.yaml': hubYaml('redis://127.0.0.1:6379', prefix), 'connectors/q.yaml': yaml({ prompt: 'run {{run.id}}\n@fake sleep 0.3', concurrency: 'allow' }) });
    const fake = fakeClaudeEnv();
    const first = await startDaemon(root, fake.env);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await first.api<{ id: string }>('/api/connectors/q/run', { method: 'POST', body: '{}' })).body.id);
    first.proc.kill('SIGKILL');
    await first.exited;
    // Workers run what the dead hub queued; their results wait in Redis.
    await startWorker({ prefix, env: fake.env, name: 'w', args: ['--concurrency', '1'] });
    await eventually(() => expect(fake.calls().length).toBeGreaterThanOrEqual(2), 15_000);
    const hub = new Hub({ repo: root, env: fake.env, killGraceMs: 300 });
    onTestFinished(() => hub.stop(0).catch(() => undefined));
    await hub.start({ commitLoop: false });
    const done = await Promise.all(ids.map((id) => hub.executor.wait(id)));
    expect(done.map((e) => e.status)).toEqual(ids.map(() => 'success'));
    expect(fake.calls().map((c) => c.prompt.split('\n')[0]).sort()).toEqual(ids.map((id) => `run ${id}`).sort());
    expect(listExecutions(hub.db, { connectorId: 'q' })).toHaveLength(5);
  }, 60_000);

  it('Redis stopped under load: the hub is degraded and keeps recording runs; when Redis is back they run, none lost', async () => {
    // A port where nothing answers: never another test's (or person's) Redis, which the shutdown below would stop.
    const answers = (p: number) => spawnSync('redis-cli', ['-p', String(p), 'ping']).stdout.toString().trim() === 'PONG';
    let port = 6390 + Math.floor(Math.random() * 500);
    while (answers(port)) port++;
    const url = `redis://127.0.0.1:${port}`;
    const startRedis = () => execFileSync('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'yes']);
    const stopRedis = () => spawnSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave']);
    startRedis();
    onTestFinished(() => void stopRedis());
    await eventually(() => expect(answers(port)).toBe(true));
    const prefix = queuePrefix(url);
    const root = gitdir({ 'hub.yaml': hubYaml(url, prefix), 'connectors/r.yaml': yaml({ prompt: 'run {{run.id}}\n@fake sleep 0.2', concurrency: 'allow' }) });
    const fake = fakeClaudeEnv();
    const hub = new Hub({ repo: root, env: fake.env, killGraceMs: 300 });
    onTestFinished(() => hub.stop(0).catch(() => undefined));
    await hub.start({ commitLoop: false });
    await startWorker({ prefix, env: fake.env, name: 'w', url, args: ['--concurrency', '4'] });
    const submit = () => (hub.run('r') as { id: string }).id;
    const before = Array.from({ length: 10 }, submit);
    await eventually(() => expect(fake.calls().length).toBeGreaterThanOrEqual(2), 10_000);
    stopRedis();
    await eventually(() => expect(hub.health()).toMatchObject({ status: 'degraded', reasons: [expect.stringContaining('Redis')] }), 10_000);
    const during = Array.from({ length: 10 }, submit);
    for (const id of during) expect(getExecution(hub.db, id)?.status).toBe('pending');
    startRedis();
    const all = await Promise.all([...before, ...during].map((id) => hub.executor.wait(id)));
    await eventually(() => expect(hub.health().status).toBe('ok'));
    // Redis came back empty (no persistence): a run whose result was lost with it is recorded lost, never silently dropped.
    for (const e of all) expect(e.status === 'success' || /worker lost/.test(e.error ?? '')).toBe(true);
    expect(all.filter((e) => during.includes(e.id)).every((e) => e.status === 'success')).toBe(true);
    const prompts = fake.calls().map((c) => c.prompt.split('\n')[0]);
    expect(prompts.length).toBe(new Set(prompts).size); // none ran twice
  }, 90_000);
});

describe('the only worker killed', () => {
  it('the hub itself finds the run lost (stalled-job check), recorded as worker lost', async () => {
    const prefix = queuePrefix();
    const { db, fake, executor } = await queueHub(prefix, { 'connectors/k.yaml': yaml({ prompt: 'x\n@fake sleep 30' }) }, { sweepMs: 500, stalledMs: 500 });
    const w = await startWorker({ prefix, env: fake.env, name: 'only', args: ['--lost-after', '1s'] });
    const r = executor.submit({ connectorId: 'k', trigger: 'api' });
    const id = (r as { id: string }).id;
    await eventually(() => expect(getExecution(db, id)?.status).toBe('running'), 10_000);
    w.proc.kill('SIGKILL');
    for (const pid of fake.livePids()) process.kill(pid, 'SIGKILL');
    expect(await executor.wait(id)).toMatchObject({ status: 'failed', errorKind: 'worker-lost', error: expect.stringContaining('worker lost') });
  }, 30_000);
});

describe('results', () => {
  it('a second result for a run (a stalled job that still ended) is counted as a duplicate, never a second success or charge', async () => {
    const prefix = queuePrefix();
    const { Queue } = await import('bullmq');
    const { db, fake, executor } = await queueHub(prefix, { 'connectors/d.yaml': yaml({ prompt: 'x\n@fake cost 0.5' }) });
    await startWorker({ prefix, env: fake.env, name: 'w' });
    const announced: string[] = [];
    executor.onFinished((e) => announced.push(e.id));
    const id = (executor.submit({ connectorId: 'd', trigger: 'api' }) as { id: string }).id;
    const first = await executor.wait(id);
    expect(first).toMatchObject({ status: 'success', costUsd: 0.5 });
    const results = new Queue('results', { connection: { url: 'redis://127.0.0.1:6379' }, prefix });
    onTestFinished(() => results.close());
    await results.add('finished', {
      kind: 'finished', runId: id, outputs: [], worker: { name: 'zombie', host: 'h', pid: 1, agentVersion: null },
      finish: { status: 'failed', finishedAt: new Date().toISOString(), errorKind: 'agent-error', error: 'late', costUsd: 0.5 },
    });
    await eventually(() => expect(db.prepare('SELECT duplicate_results AS n FROM executions WHERE id = ?').get(id)).toEqual({ n: 1 }));
    expect(getExecution(db, id)).toEqual(first);
    expect(announced).toEqual([id]);
  });

  it('`agent-hub run` beside a running hub reads its own results: neither takes the other\'s', async () => {
    const prefix = queuePrefix();
    const root = gitdir({ 'hub.yaml': hubYaml('redis://127.0.0.1:6379', prefix), 'connectors/a.yaml': yaml({ prompt: 'from the hub\n@fake sleep 0.2', concurrency: 'allow' }), 'connectors/b.yaml': yaml({ prompt: 'from the terminal' }) });
    const fake = fakeClaudeEnv();
    const hub = new Hub({ repo: root, env: fake.env, killGraceMs: 300 });
    onTestFinished(() => hub.stop(0).catch(() => undefined));
    await hub.start({ commitLoop: false });
    await startWorker({ prefix, env: fake.env, name: 'w', args: ['--concurrency', '4'] });
    const ids = Array.from({ length: 10 }, () => (hub.run('a') as { id: string }).id);
    const { cli } = await import('../helpers/cli.js');
    const terminal = await cli(['run', 'b', '--repo', root], { env: fake.env });
    expect(terminal).toMatchObject({ code: 0, stdout: expect.stringContaining('Done: from the terminal') });
    const done = await Promise.all(ids.map((id) => hub.executor.wait(id)));
    expect(done.every((e) => e.status === 'success')).toBe(true);
  }, 60_000);
});
