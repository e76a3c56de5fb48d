import { run as apply } from './apply.js';
import { run as status } from './status.js';
import { ExitError } from '../errors.js';
import { existsSync } from 'node:fs';
import { dbPath } from '../../registry/db.js';
import { hasState, restore } from '../../gitstate/restore.js';
import { loadHubConfig } from '../../spec/hub-config.js';
import { resolveRepo } from '../repo.js';

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
  const root = resolveRepo(opts.repo);
  // A fresh clone of a hub that has run before: rebuild the registry from what it committed.
  if (!existsSync(dbPath(root))) {
    const hub = loadHubConfig(root);
    if (!hub.diagnostics.length && (await hasState(root, hub.config))) {
      const restored = await restore(root, hub.config);
      process.stdout.write(`restored ${restored.connectors} connectors and ${restored.runs} runs from state/\n\n`);
    }
  }
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
