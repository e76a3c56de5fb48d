import { restore } from '../../gitstate/restore.js';
import { acquireLock } from '../../daemon/lock.js';
import { printJson } from '../output.js';
import { resolveRepo } from '../repo-root.js';
import { requireHubConfig } from '../../spec/hub-config.js';
import type { GlobalOptions } from '../options.js';

/** `agent-hub restore`: rebuild .agent-hub/ from the committed state (a lost machine, a fresh clone). */
export async function run(opts: GlobalOptions): Promise<void> {
  const root = resolveRepo(opts.repo);
  const config = requireHubConfig(root);
  // The database is replaced: never under a running hub.
  const release = acquireLock(root);
  let result;
  try {
    result = await restore(root, config);
  } finally {
    release();
  }
  if (opts.json) printJson(result);
  else {
    process.stdout.write(`restored ${result.connectors} connector${result.connectors === 1 ? '' : 's'} and ${result.runs} run${result.runs === 1 ? '' : 's'} into .agent-hub/hub.db\n`);
    if (result.previous) process.stdout.write(`the previous database was kept as ${result.previous}\n`);
  }
  for (const s of result.skipped) {
    process.stderr.write(`${s.path}: ${s.error}: skipped; fix the file (or git checkout it from a good commit) and run agent-hub restore again\n`);
  }
}
