// Runs on `agent-hub worker` processes through real Redis: the hub records, workers run.
import { describe, expect, it, onTestFinished } from 'vitest';
import { Redis } from 'ioredis';
import { Hub } from '../../src/hub.js';
import { getExecution, listExecutions, type Execution } from '../../src/registry/executions.js';
import { gitdir, git, type Files } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { REDIS, queuePrefix, scanKeys, startWorker } from '../helpers/workers.js';

/** The worker a run recorded (name, host, pid, agent CLI version). */
const workerOf = (db: Parameters<typeof getExecution>[0], id: string) => getExecution(db, id)?.worker as { name?: string; host?: string; agentVersion?: string | null } | null | undefined;

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

async function queueHub(files: Files, prefix: string, extraEnv: Record<string, string> = {}, url = REDIS) {
  const root = gitdir({ 'hub.yaml': `concurrency: 16\nqueue: { type: bullmq, url: "${url}", prefix: ${prefix} }\n`, ...files });
  const fake = fakeClaudeEnv(extraEnv);
  const hub = new Hub({ repo: root, env: fake.env, killGraceMs: 300 });
  onTestFinished(async () => {
    try { await hub.stop(0); } catch { /* already stopped */ }
  });
  await hub.start({ commitLoop: false });
  const submit = (id: string): string => {
    const r = hub.run(id);
    if (r.status !== 'queued') throw new Error(`not queued: ${JSON.stringify(r)}`);
    return r.id;
  };
  return { root, hub, fake, submit };
}

describe('runs on queue workers', () => {
  it('two worker processes run 200 runs: each exactly once, recorded and committed, with the worker that ran it', async () => {
    const prefix = queuePrefix();
    const { root, hub, fake, submit } = await queueHub({ 'connectors/n.yaml': yaml({ prompt: 'run {{run.id}}', concurrency: 'allow' }) }, prefix);
    await Promise.all(['w1', 'w2'].map((name) => startWorker({ prefix, env: fake.env, name, args: ['--concurrency', '4'] })));
    const ids = Array.from({ length: 200 }, () => submit('n'));
    const done = await Promise.all(ids.map((id) => hub.executor.wait(id)));
    expect(done.filter((e) => e.status !== 'success')).toEqual([]);
    const prompts = fake.calls().map((c) => c.prompt.trim());
    expect(prompts).toHaveLength(200);
    expect(new Set(prompts)).toEqual(new Set(ids.map((id) => `run ${id}`)));
    const byWorker = new Map<string, number>();
    for (const id of ids) {
      const w = workerOf(hub.db, id);
      byWorker.set(w?.name ?? 'none', (byWorker.get(w?.name ?? 'none') ?? 0) + 1);
    }
    expect([...byWorker.keys()].sort()).toEqual(['w1', 'w2']);
    expect(listExecutions(hub.db, { connectorId: 'n', limit: 1000 })).toHaveLength(200);
    expect(await hub.gitState.commit()).toMatchObject({ runs: 200 });
    const all = git(root, 'ls-tree', '-r', '--name-only', 'HEAD', 'state/runs/n').split('\n');
    // A record and a transcript a run, as for runs in the hub's own process.
    const files = all.filter((f) => !f.endsWith('.transcript.jsonl'));
    expect(files.map((f) => f.replace(/.*\//, '').replace(/\.json$/, '')).sort()).toEqual([...ids].sort());
    expect(all.filter((f) => f.endsWith('.transcript.jsonl'))).toHaveLength(200);
    expect(JSON.parse(git(root, 'show', `HEAD:${files[0]}`))).toMatchObject({ status: 'success', worker: { name: expect.stringMatching(/^w[12]$/) } });
  }, 120_000);

  it('a worker without claude never takes a Claude run; one that has it does', async () => {
    const prefix = queuePrefix();
    const { hub, fake, submit } = await queueHub({
      'connectors/c.yaml': yaml({ prompt: 'claude here' }),
      'connectors/cmd.yaml': yaml({ prompt: 'x', agent: { type: 'command', command: ['echo', 'from command'] } }),
    }, prefix);
    await startWorker({ prefix, env: fake.env, name: 'no-claude', args: ['--agents', 'command'] });
    const claudeRun = submit('c');
    const commandRun = submit('cmd');
    expect(await hub.executor.wait(commandRun)).toMatchObject({ status: 'success' });
    expect(workerOf(hub.db, commandRun)?.name).toBe('no-claude');
    expect(getExecution(hub.db, claudeRun)?.status).toBe('pending');
    expect(fake.calls()).toEqual([]);
    await startWorker({ prefix, env: fake.env, name: 'with-claude', args: ['--agents', 'claude'] });
    expect(await hub.executor.wait(claudeRun)).toMatchObject({ status: 'success', result: 'Done: claude here' });
    expect(workerOf(hub.db, claudeRun)?.name).toBe('with-claude');
  });

  it('a worker killed mid-run: the attempt fails as worker lost and the retry runs on another worker', async () => {
    const prefix = queuePrefix();
    const { hub, fake, submit } = await queueHub({
      'connectors/k.yaml': yaml({ prompt: 'try {{run.attempt}}\n{{#if (eq run.attempt 1)}}@fake sleep 30{{/if}}', retry: { attempts: 2, backoff: { initial: '10ms' } } }),
    }, prefix);
    const doomed = await startWorker({ prefix, env: fake.env, name: 'doomed', args: ['--lost-after', '1s'] });
    const id = submit('k');
    await eventually(() => expect(getExecution(hub.db, id)?.status).toBe('running'), 10_000);
    await startWorker({ prefix, env: fake.env, name: 'survivor', args: ['--lost-after', '1s'] });
    doomed.proc.kill('SIGKILL');
    for (const pid of fake.livePids()) process.kill(pid, 'SIGKILL'); // the orphaned agent: not this test's subject
    const last = await hub.executor.waitFinal(id);
    expect(getExecution(hub.db, id)).toMatchObject({ status: 'failed', errorKind: 'worker-lost', error: expect.stringContaining('worker lost') });
    expect(last).toMatchObject({ attempt: 2, status: 'success', result: 'Done: try 2', parentId: id });
    expect(workerOf(hub.db, last.id)?.name).toBe('survivor');
  }, 60_000);

  it('no secret reaches Redis: agent.env references travel unresolved, results come back redacted', async () => {
    const prefix = queuePrefix();
    const secret = 'sk-very-secret-value-42';
    const { hub, fake, submit } = await queueHub({
      'connectors/s.yaml': yaml({ prompt: 'x\n@fake env CLAUDE_CODE_TOKEN\n@fake sleep 0.5', agent: { env: { CLAUDE_CODE_TOKEN: '${MY_SECRET}' } } }),
    }, prefix, { MY_SECRET: secret });
    await startWorker({ prefix, env: fake.env, name: 'w' });
    const redis = new Redis(REDIS);
    onTestFinished(() => redis.disconnect());
    const dump = async () => {
      const out: string[] = [];
      for (const key of await scanKeys(redis, prefix)) {
        const type = await redis.type(key);
        if (type === 'string') out.push(String(await redis.get(key)));
        else if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'list') out.push(JSON.stringify(await redis.lrange(key, 0, -1)));
        else if (type === 'zset') out.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
        else if (type === 'set') out.push(JSON.stringify(await redis.smembers(key)));
        else if (type === 'stream') out.push(JSON.stringify(await redis.xrange(key, '-', '+')));
        out.push(key);
      }
      return out.join('\n');
    };
    const id = submit('s');
    await eventually(() => expect(getExecution(hub.db, id)?.status).toBe('running'), 10_000);
    const during = await dump();
    const e: Execution = await hub.executor.wait(id);
    expect(e.status).toBe('success');
    expect(fake.calls()[0]?.env.CLAUDE_CODE_TOKEN).toBe(secret); // the worker resolved it from its own environment
    expect(e.result).not.toContain(secret);
    expect(during).toContain('${MY_SECRET}');
    expect(during).not.toContain(secret);
    expect(await dump()).not.toContain(secret);
  });
});

describe('a worker stopping', () => {
  it('SIGTERM drains: the running run finishes and is recorded, the worker takes nothing more and exits 0', async () => {
    const prefix = queuePrefix();
    const { hub, fake, submit } = await queueHub({ 'connectors/d.yaml': yaml({ prompt: 'x\n@fake sleep 1', concurrency: 'allow' }) }, prefix);
    const w = await startWorker({ prefix, env: fake.env, name: 'draining' });
    const first = submit('d');
    await eventually(() => expect(getExecution(hub.db, first)?.status).toBe('running'), 10_000);
    w.proc.kill('SIGTERM');
    await eventually(() => expect(w.logs.some((l) => String(l.msg).startsWith('stopping'))).toBe(true));
    const second = submit('d');
    expect(await hub.executor.wait(first)).toMatchObject({ status: 'success' });
    expect(await w.exited).toBe(0);
    expect(getExecution(hub.db, second)?.status).toBe('pending');
    expect(fake.calls()).toHaveLength(1);
  }, 30_000);
});
