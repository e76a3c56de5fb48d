import { getExecution } from '../../registry/executions.js';
import { UserError } from '../../core/errors.js';
import { printJson } from '../output.js';
import { FROM_GIT_NOTE, openRunRegistry, resolveRepo } from '../repo.js';
import type { GlobalOptions } from '../options.js';
import { describeExecution } from '../execution-format.js';

/** `agent-hub show <run-id>`: everything recorded about one run. */
export async function run(id: string, opts: GlobalOptions): Promise<void> {
  const { db, fromGit } = await openRunRegistry(resolveRepo(opts.repo));
  if (fromGit && !opts.json) process.stderr.write(FROM_GIT_NOTE);
  try {
    const e = getExecution(db, id);
    if (!e) throw new UserError(`no run "${id}" (see agent-hub history)`);
    if (opts.json) printJson(e);
    else process.stdout.write(describeExecution(e));
  } finally {
    db.close();
  }
}
