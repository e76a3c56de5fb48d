import { restore } from '../../gitstate/restore.js';
import { acquireLock } from '../../daemon/lock.js';
import { UserError } from '../../core/errors.js';
import { printJson } from '../output.js';
import { resolveRepo, hubConfigOrFail } from '../repo.js';
import type { GlobalOptions } from '../options.js';

/** `agent-hub restore`: rebuild .agent-hub/ from the committed state (a lost machine, a fresh clone). */
export async function run(opts: GlobalOptions): Promise<void> {
  const root = resolveRepo(opts.repo);
  const config = hubConfigOrFail(root);
  let result;
  let release: (() => void) | undefined;
  try {
    // The database is replaced: never under a running hub.
    release = acquireLock(root);
    result = await restore(root, config);
  } catch (err) {
    throw new UserError((err as Error).message);
  } finally {
    release?.();
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
