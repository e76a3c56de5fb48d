import type { Server } from 'node:http';
import { Hub } from '../hub.js';
import { createLogger } from '../log/pino.js';
import type { Logger } from '../log/logger.js';
import { repoRoot } from '../spec/load.js';
import { HubMetrics } from '../server/metrics.js';
import { createHubServer } from '../server/http.js';
import { createApp } from '../server/app.js';
import { hubView, metricsSource } from '../server/hub-view.js';
import { accessPolicy } from '../server/access.js';
import { acquireLock } from './lock.js';
import { watchConnectors } from './watch.js';
import { depsOutsideConnectors } from '../registry/connectors.js';
import { DaemonSignals } from './signals.js';
import { HealthFile } from './health-file.js';
import { removeServerFile, writeServerFile } from './server-file.js';
import { UserError } from '../core/errors.js';

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
 * running, the HTTP API and dashboard listening. SIGTERM/SIGINT drain (see signals.ts);
 * SIGHUP reconciles. Resolves with the exit code once the hub has stopped.
 */
export async function runDaemon(o: DaemonOptions): Promise<number> {
  const env = o.env ?? process.env;
  const log = o.log ?? createLogger(env);
  // First of all: from here on a stop signal means a drain, whatever is running (git, agents, the start itself).
  const signals = new DaemonSignals(log);
  let root: string;
  let release: () => void;
  try {
    root = repoRoot(o.repo);
    release = acquireLock(root, log);
  } catch (err) {
    signals.close();
    throw err;
  }
  let hub: Hub;
  try {
    hub = new Hub({ repo: root, log, env });
    // A second Ctrl-C: no drain, but no agent left running either, nor a run shown as running.
    const forced = hub;
    signals.onForceExit(() => {
      const count = forced.abandon();
      if (count) log.warn({ count }, 'agents killed; their runs are recorded as interrupted (run records are written at the next start)');
      release();
    });
    await hub.start({ commitLoop: !o.initOnly });
  } catch (err) {
    signals.close();
    release();
    throw err;
  }
  if (o.initOnly) {
    await hub.stop(0);
    signals.close();
    release();
    log.info({ repo: root }, 'initialised');
    return 0;
  }

  // A full disk or an I/O error thrown where nothing expected it degrades the hub; it does not end it.
  const stray = (err: unknown) => {
    if (hub.storage.note('a background write', err)) return;
    log.error({ err: err instanceof Error ? err.stack ?? err.message : String(err) }, 'internal error; please report it');
    process.exit(1);
  };
  process.on('uncaughtException', stray);
  process.on('unhandledRejection', stray);

  const health = new HealthFile(root);
  const showHealth = () => health.write(hub.health());
  showHealth();
  hub.storage.onChange(showHealth);

  const metrics = new HubMetrics(metricsSource(hub));

  // Every trigger goes through the hub's one reconcile queue (same logs and metrics); the resync timer is the hub's.
  // A file event's pass checks the paths it named (when no other file depends on them); the call once the watches are set (no paths) is a full one.
  const watcher = watchConnectors(root, (paths) => void hub.reconcile('files', paths.length ? paths : undefined).catch(() => undefined), {
    onError: (dir, err) => log.warn({ dir, err: err.message }, 'not watching a directory (raise fs.inotify.max_user_watches?); its changes go live at the next resync'),
  });
  // Files outside connectors/ that connectors read (promptFile: ../prompts/x.hbs): followed as the registry records them.
  const followDeps = () => watcher.followFiles(depsOutsideConnectors(hub.db));
  followDeps();
  hub.onReconciled((pass) => {
    if (pass.result?.applied) followDeps();
    // A full pass (the resync, SIGHUP, a pull) also watches directories whose creation the kernel's event queue dropped.
    if (pass.triggers.some((t) => t !== 'files')) watcher.rescan();
  });
  signals.onHangup(() => void hub.reconcile('SIGHUP').catch(() => undefined));

  const stop = async (): Promise<number> => {
    log.info({ signal: signals.received }, 'draining: no new runs; running runs get the grace period');
    server?.close();
    let code = 0;
    try {
      await watcher.close();
      await hub.stop();
    } catch (err) {
      log.error({ err: (err as Error).message }, 'the drain failed; runs left unfinished are marked interrupted at the next start');
      code = 1;
    }
    server?.closeAllConnections();
    removeServerFile(root);
    health.remove();
    release();
    log.info({}, 'stopped');
    return code;
  };

  const host = o.host ?? hub.config.server?.host ?? '127.0.0.1';
  const port = o.port ?? hub.config.server?.port ?? 7420;
  let server: Server | undefined;
  try {
    const access = accessPolicy(host, env, hub.config.server);
    const listening = createHubServer(createApp(hubView(hub, metrics), access, log), log);
    server = listening;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(port, host, () => resolve());
    }).catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException)?.code;
      // A port in use or reserved is the user's to change, not a bug.
      throw code === 'EADDRINUSE' || code === 'EACCES' ? new UserError(`${(err as Error).message}: pick another with --port or server.port in hub.yaml`) : err;
    });
  } catch (err) {
    server = undefined;
    await watcher.close();
    await hub.stop(0);
    health.remove();
    signals.close();
    release();
    throw err;
  }
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/`;
  health.url = url; // for agent-hub status
  showHealth();
  writeServerFile(root, url);
  log.info({ repo: root, url, pid: process.pid, scheduled: hub.scheduler.size }, 'agent-hub started');

  await signals.stopRequested;
  return stop();
}
