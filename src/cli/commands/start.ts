import { run as apply } from './apply.js';
import { run as status } from './status.js';
import { ExitError } from '../errors.js';

interface StartOptions {
  repo?: string;
  initOnly?: boolean;
}

/**
 * `agent-hub start`. Until the daemon lands (scheduler, watcher, HTTP), starting applies
 * the repository's connectors and shows their status; an invalid file is reported but
 * does not stop the valid ones.
 */
export async function run(opts: StartOptions): Promise<void> {
  let failed = false;
  try {
    await apply({ ...(opts.repo ? { repo: opts.repo } : {}) });
  } catch (err) {
    if (!(err instanceof ExitError)) throw err;
    failed = true;
  }
  process.stdout.write('\n');
  await status({ ...(opts.repo ? { repo: opts.repo } : {}) });
  if (failed) throw new ExitError(1);
}
