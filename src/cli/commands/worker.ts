import path from 'node:path';
import { existsSync } from 'node:fs';
import { UsageError, UserError } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import { agentTypes } from '../../agents/index.js';
import { createLogger } from '../../log/pino.js';
import { QueueWorker } from '../../execute/queue/worker.js';
import { DEFAULT_PREFIX } from '../../execute/queue/protocol.js';
import { safeUrl } from '../../execute/queue/connection.js';

interface WorkerOptions {
  queue?: string;
  prefix?: string;
  concurrency?: string;
  agents?: string;
  repo?: string;
  name?: string;
  lostAfter?: string;
  grace?: string;
}

function duration(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 100) throw new UsageError(`${flag} expects a duration like 30s or 2m, got "${value}"`);
  return ms;
}

/** `agent-hub worker`: runs the hub's jobs for these agent types from Redis until SIGTERM, then drains. */
export async function run(opts: WorkerOptions): Promise<void> {
  const url = opts.queue ?? process.env.AGENT_HUB_QUEUE_URL;
  if (!url) throw new UsageError('--queue redis://host:6379 is required (or AGENT_HUB_QUEUE_URL in the environment, which keeps a password out of the process list)');
  if (!/^rediss?:\/\/[^/\s]/.test(url)) throw new UsageError(`--queue expects redis://host:port or rediss://host:port (TLS), got "${safeUrl(url)}"`);
  const concurrency = opts.concurrency === undefined ? 1 : Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new UsageError('--concurrency must be a whole number from 1 to 256');
  const known = Object.keys(agentTypes);
  const agents = opts.agents ? opts.agents.split(',').map((s) => s.trim()).filter(Boolean) : known;
  const unknown = agents.filter((a) => !known.includes(a));
  if (unknown.length || !agents.length) throw new UsageError(`--agents takes agent types separated by commas, of: ${known.join(', ')}${unknown.length ? ` (not known: ${unknown.join(', ')})` : ''}`);
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  if (!/^[A-Za-z0-9_.-]+$/.test(prefix)) throw new UsageError('--prefix takes letters, digits, _ . and - (the same as hub.yaml\'s queue.prefix)');
  const repo = opts.repo === undefined ? undefined : path.resolve(opts.repo);
  if (repo && !existsSync(path.join(repo, '.git'))) throw new UserError(`--repo ${repo} is not a git clone; clone the hub's repository there (git clone <url> ${repo})`);

  const log = createLogger();
  const worker = new QueueWorker({
    url, prefix, concurrency, agents, log, lostAfterMs: duration('--lost-after', opts.lostAfter, 30_000),
    ...(repo ? { repo } : {}), ...(opts.name ? { name: opts.name } : {}),
  });
  const grace = duration('--grace', opts.grace, 30_000);
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    if (stopping) {
      if (signal === 'SIGINT') process.exit(130);
      return;
    }
    log.info({ signal, running: worker.active }, 'stopping: running runs get the grace period, then are stopped');
    stopping = worker.stop(grace);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  log.info({ queue: safeUrl(url), prefix }, 'connecting');
  await worker.start();
  await new Promise<void>((resolve) => {
    const wait = setInterval(() => {
      if (stopping) {
        clearInterval(wait);
        void stopping.then(resolve);
      }
    }, 100);
  });
  log.info({}, 'worker stopped');
  // Whatever a library left scheduled must not keep a stopped worker alive.
  setTimeout(() => process.exit(0), 200).unref();
}
