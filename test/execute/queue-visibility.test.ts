// What an operator sees of workers: the API, /metrics, `status`, and the worker on each run.
import { describe, expect, it, onTestFinished } from 'vitest';
import { QueueWorker } from '../../src/execute/queue/worker.js';
import { gitdir } from '../helpers/repo.js';
import { fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startHubApp } from '../helpers/hub-app.js';
import { cli } from '../helpers/cli.js';
import { REDIS, queuePrefix, startWorker } from '../helpers/workers.js';

describe('queue visibility', () => {
  it('shows workers, queue depth and latency in the API, /metrics and status; a run names its worker', async () => {
    const prefix = queuePrefix();
    const root = gitdir({
      'hub.yaml': `queue: { type: bullmq, url: "${REDIS}", prefix: ${prefix} }\n`,
      'connectors/v.yaml': JSON.stringify({ prompt: 'hello' }),
    });
    const fake = fakeClaudeEnv();
    const { hub, request } = await startHubApp(root, fake.env);
    await startWorker({ prefix, env: fake.env, name: 'vis-1', args: ['--agents', 'claude', '--concurrency', '2'] });
    const queued = await request<{ id: string }>('/api/connectors/v/run', { method: 'POST', body: '{}' });
    await hub.executor.wait(queued.json.id);

    const run = await request<{ status: string; worker: { name: string; host: string; agentVersion: string | null } }>(`/api/executions/${queued.json.id}`);
    expect(run.json).toMatchObject({ status: 'success', worker: { name: 'vis-1', host: expect.any(String), agentVersion: '2.1.197 (Claude Code)' } });

    const workers = await request<Record<string, unknown>>('/api/workers');
    expect(workers.json).toMatchObject({
      type: 'bullmq', prefix, reachable: true, waiting: { claude: 0, command: 0 },
      workers: [{ name: 'vis-1', agents: ['claude'], concurrency: 2, running: [] }],
      enqueueToStartMs: { count: 1, p50: expect.any(Number) },
    });

    const metrics = (await request('/metrics')).text;
    expect(metrics).toMatch(/^agent_hub_workers 1$/m);
    expect(metrics).toMatch(/^agent_hub_queue_waiting\{agent_type="claude"\} 0$/m);
    expect(metrics).toMatch(/^agent_hub_enqueue_to_start_seconds\{quantile="0.95"\} [\d.e-]+$/m);

    const status = await cli(['status', '--repo', root]);
    expect(status.stdout).toContain(`queue: ${REDIS} (prefix ${prefix}); waiting: claude 0, command 0; 1 worker`);
    expect(status.stdout).toMatch(/ {2}vis-1 on \S+: claude, running 0\/2, last heartbeat /);

    // The dashboard lists the workers; the run's page and `show` name the one that ran it.
    const home = (await request('/')).text;
    expect(home).toContain('Workers (1)');
    expect(home).toMatch(/<td>vis-1<\/td><td>[^<]+<\/td><td>claude<\/td><td>0 of 2<\/td>/);
    expect((await request(`/runs/${queued.json.id}`)).text).toMatch(/<dd id="worker">vis-1 on \S+ \(pid \d+, 2\.1\.197 \(Claude Code\)\)<\/dd>/);
    expect((await cli(['show', queued.json.id, '--repo', root])).stdout).toMatch(/^worker vis-1 on \S+ \(pid \d+, 2\.1\.197 \(Claude Code\)\)$/m);
  });

  it('a worker whose clock is off: each run records the offset, and its page says so', async () => {
    const prefix = queuePrefix();
    const root = gitdir({ 'hub.yaml': `queue: { type: bullmq, url: "${REDIS}", prefix: ${prefix} }\n`, 'connectors/v.yaml': JSON.stringify({ prompt: 'hello' }) });
    const fake = fakeClaudeEnv();
    const { hub, request } = await startHubApp(root, fake.env);
    // A worker in this process whose clock runs 90 s ahead of the hub's.
    const worker = new QueueWorker({ url: REDIS, prefix, concurrency: 1, agents: ['claude'], env: fake.env, name: 'ahead', heartbeatMs: 1000, now: () => new Date(Date.now() + 90_000) });
    const started = worker.start();
    onTestFinished(async () => { await started; await worker.stop(0); });
    const queued = await request<{ id: string }>('/api/connectors/v/run', { method: 'POST', body: '{}' });
    await hub.executor.wait(queued.json.id);
    const run = await request<{ worker: { name: string; clockOffsetMs: number } }>(`/api/executions/${queued.json.id}`);
    expect(run.json.worker.name).toBe('ahead');
    expect(run.json.worker.clockOffsetMs).toBeGreaterThan(85_000);
    expect(run.json.worker.clockOffsetMs).toBeLessThan(91_000);
    expect((await request(`/runs/${queued.json.id}`)).text).toMatch(/clock \+(8[5-9]|90)\.\d s from the hub&#39;s|clock \+(8[5-9]|90)\.\d s from the hub's/);
  });

  it('a run on a worker has its transcript at the hub, in order, as a local run does', async () => {
    const prefix = queuePrefix();
    const root = gitdir({ 'hub.yaml': `queue: { type: bullmq, url: "${REDIS}", prefix: ${prefix} }\n`, 'connectors/t.yaml': JSON.stringify({ prompt: 'look\n@fake say Let me look.\n@fake tool Bash {"command":"ls -la","description":"list"}' }) });
    const fake = fakeClaudeEnv();
    const { hub, request } = await startHubApp(root, fake.env);
    await startWorker({ prefix, env: fake.env, name: 'tx' });
    const queued = await request<{ id: string }>('/api/connectors/t/run', { method: 'POST', body: '{}' });
    await hub.executor.wait(queued.json.id);
    const { events } = (await request<{ events: Array<{ kind: string; seq: number; name?: string; text?: string }> }>(`/api/executions/${queued.json.id}/transcript`)).json;
    expect(events.map((e) => e.kind)).toEqual(['init', 'text', 'tool', 'tool-result', 'text', 'result', 'end']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(events.find((e) => e.kind === 'tool')?.name).toBe('Bash');
    expect((await cli(['show', queued.json.id, '--transcript', '--repo', root])).stdout).toContain('ls -la');
  });

  it('a hub without a queue says so', async () => {
    const { request } = await startHubApp(gitdir({ 'connectors/v.yaml': JSON.stringify({ prompt: 'x' }) }), fakeClaudeEnv().env);
    expect((await request('/api/workers')).json).toEqual({ type: 'local' });
    expect((await request('/')).text).not.toContain('Workers (');
  });
});
