import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';
import { eventually } from './fake-agent.js';

const BIN = fileURLToPath(new URL('../../bin/agent-hub.js', import.meta.url));
export const REDIS = process.env.AGENT_HUB_TEST_REDIS ?? 'redis://127.0.0.1:6379';

/** A key prefix of this test's own; its keys are deleted when the test ends. */
export function queuePrefix(url = REDIS): string {
  const prefix = `test-${randomUUID()}`;
  onTestFinished(async () => {
    const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
    redis.on('error', () => undefined);
    try {
      const keys = await scanKeys(redis, prefix);
      if (keys.length) await redis.del(...keys);
    } catch { /* Redis gone: nothing to clean */ }
    redis.disconnect();
  });
  return prefix;
}

export async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys;
}

export interface WorkerProc {
  proc: ChildProcess;
  name: string;
  logs: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

/** Starts `agent-hub worker` as a real process; resolves once it takes jobs. Killed when the test ends. */
export async function startWorker(o: { prefix: string; env: NodeJS.ProcessEnv; name: string; url?: string; args?: string[] }): Promise<WorkerProc> {
  const proc = spawn(process.execPath, [BIN, 'worker', '--queue', o.url ?? REDIS, '--prefix', o.prefix, '--name', o.name, ...(o.args ?? [])], {
    env: { ...process.env, ...o.env, AGENT_HUB_LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let buffer = '';
  proc.stderr?.on('data', (d) => (stderr += d));
  proc.stdout?.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      try { logs.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>); } catch { /* not a log line */ }
      buffer = buffer.slice(nl + 1);
    }
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  onTestFinished(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  });
  await eventually(() => {
    if (proc.exitCode !== null) throw new Error(`worker exited ${proc.exitCode}: ${stderr}`);
    if (!logs.some((l) => l.msg === 'worker started')) throw new Error(`worker not started: ${stderr}`);
  }, 15_000);
  return { proc, name: o.name, logs, exited };
}

/**
 * A hub's executor on the BullMQ queue of `prefix` (a hub without its daemon), over a fresh
 * git repository holding `files`, applied; with the fake agent's environment. Stopped, and
 * its database closed, when the test ends. `checks`: the backend's sweep and stalled-job
 * intervals, shortened so a lost worker is noticed within a test.
 */
export async function queueHub(prefix: string, files: Record<string, string>, checks?: { sweepMs: number; stalledMs: number }) {
  const { gitdir } = await import('./repo.js');
  const { fakeClaudeEnv } = await import('./fake-agent.js');
  const { openDb } = await import('../../src/registry/db.js');
  const { reconcile } = await import('../../src/reconcile/reconcile.js');
  const { createExecution } = await import('../../src/execute/factory.js');
  const { BullMqBackend } = await import('../../src/execute/queue/backend.js');
  const root = gitdir(files);
  const db = openDb(`${root}/.agent-hub/hub.db`);
  await reconcile(root, db);
  const fake = fakeClaudeEnv();
  const executor = createExecution({ db, root, env: fake.env, killGraceMs: 200, backend: (ctx) => new BullMqBackend(ctx, { url: REDIS, prefix }, checks) });
  onTestFinished(async () => {
    await executor.stop(0);
    db.close();
  });
  return { root, db, fake, executor };
}

