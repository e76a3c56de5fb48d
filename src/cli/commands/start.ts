import { runDaemon } from '../../daemon/daemon.js';
import { UsageError } from '../../core/errors.js';
import { resolveRepo } from '../repo-root.js';

interface StartOptions {
  repo?: string;
  host?: string;
  port?: string;
  initOnly?: boolean;
}

/** `agent-hub start`: the daemon (see src/daemon/daemon.ts). */
export async function run(opts: StartOptions): Promise<void> {
  const port = opts.port === undefined ? undefined : Number(opts.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError('--port must be a number from 0 to 65535');
  const code = await runDaemon({ repo: resolveRepo(opts.repo), ...(opts.host ? { host: opts.host } : {}), ...(port !== undefined ? { port } : {}), ...(opts.initOnly ? { initOnly: true } : {}) });
  process.exitCode = code;
  // Whatever a library left scheduled must not keep a stopped hub alive.
  setTimeout(() => process.exit(code), 200).unref();
}
