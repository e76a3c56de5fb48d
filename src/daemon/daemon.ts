import type { Server } from 'node:http';
import { durationMs } from '../core/duration.js';
import { Hub } from '../hub.js';
import { createLogger } from '../log/pino.js';
import type { Logger } from '../log/logger.js';
import { repoRoot } from '../spec/load.js';
import { planSummary } from '../core/plan.js';
import { HubMetrics } from '../server/metrics.js';
import { createHubServer } from '../server/http.js';
import { accessPolicy } from '../server/access.js';
import { acquireLock } from './lock.js';
import { watchConnectors } from './watch.js';

export interface DaemonOptions {
  repo: string;
  host?: string;
  port?: number;
  initOnly?: boolean;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
}

/**
 * `agent-hub start`: one hub per repository (a lock), the registry restored or migrated,
 * crashed runs marked, files reconciled and watched, the scheduler and the git loop
 * running, the HTTP API and dashboard listening. SIGTERM/SIGINT drain; SIGHUP reconciles.
 * Resolves with the exit code once the hub has stopped.
 */
export async function runDaemon(o: DaemonOptions): Promise<number> {
  const env = o.env ?? process.env;
  const log = o.log ?? createLogger(env);
  const root = repoRoot(o.repo);
  const release = acquireLock(root, log);
  let hub: Hub;
  try {
    hub = new Hub({ repo: root, log, env });
    await hub.start({ commitLoop: !o.initOnly });
  } catch (err) {
    release();
    throw err;
  }
  if (o.initOnly) {
    await hub.stop(0);
    release();
    log.info({ repo: root }, 'initialised');
    return 0;
  }

  const metrics = new HubMetrics(hub);
  hub.gitState.onCommitted(() => metrics.lastCommit.setToCurrentTime());
  const reconcile = async (trigger: string) => {
    const started = performance.now();
    try {
      const r = await hub.reconcile();
      const invalid = r.plan.counts.invalid;
      metrics.recordReconcile((performance.now() - started) / 1000, invalid, false);
      const fields = { trigger, durationMs: Math.round(performance.now() - started) };
      if (r.applied) log.info(fields, `reconciled: ${planSummary(r.plan)}`);
      else log.debug(fields, 'reconciled: no change');
      return { applied: r.applied, counts: r.plan.counts, durationMs: Math.round(r.durationMs), blocking: r.blocking, invalid: r.plan.actions.filter((a) => a.kind === 'invalid').map((a) => ({ file: a.file.path, diagnostics: a.file.diagnostics })) };
    } catch (err) {
      metrics.recordReconcile((performance.now() - started) / 1000, 0, true);
      log.error({ trigger, err: (err as Error).message }, 'reconcile failed');
      throw err;
    }
  };

  // A full reconcile every resync.interval, whatever the file events said; restarted when hub.yaml changes it.
  let resyncEvery = '';
  let resync: NodeJS.Timeout | undefined;
  const scheduleResync = () => {
    const every = hub.config.resync?.interval ?? '5m';
    if (every === resyncEvery) return;
    clearInterval(resync);
    resyncEvery = every;
    resync = setInterval(() => reconcile('resync').catch(() => undefined), durationMs(every));
  };
  scheduleResync();
  const watcher = watchConnectors(root, (paths) => {
    if (paths.includes('hub.yaml') && hub.reloadConfig().applied) scheduleResync();
    reconcile('files').catch(() => undefined);
  });

  const host = o.host ?? hub.config.server?.host ?? '127.0.0.1';
  const port = o.port ?? hub.config.server?.port ?? 7420;
  let server: Server;
  try {
    const access = accessPolicy(host, env, hub.config.server);
    server = createHubServer({ hub, metrics, log, access, reconcile: () => reconcile('api') });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (err) {
    clearInterval(resync);
    await watcher.close();
    await hub.stop(0);
    release();
    throw err;
  }
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  log.info({ repo: root, url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/`, pid: process.pid, scheduled: hub.scheduler.size }, 'agent-hub started');

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting without waiting for running runs');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, 'draining: no new runs; running runs get the grace period');
      clearInterval(resync);
      server.close();
      await watcher.close();
      await hub.stop();
      release();
      log.info({}, 'stopped');
      resolve(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
    process.on('SIGHUP', () => void reconcile('SIGHUP').catch(() => undefined));
  });
}
