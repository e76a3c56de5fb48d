import { getExecution } from '../../registry/executions.js';
import { UserError } from '../errors.js';
import { printJson } from '../output.js';
import { openRegistryOrEmpty, resolveRepo } from '../repo.js';
import type { GlobalOptions } from '../main.js';
import { describeExecution } from '../execution-format.js';

/** `agent-hub show <run-id>`: everything recorded about one run. */
export async function run(id: string, opts: GlobalOptions): Promise<void> {
  const db = openRegistryOrEmpty(resolveRepo(opts.repo));
  try {
    const e = getExecution(db, id);
    if (!e) throw new UserError(`no run "${id}" (see agent-hub history)`);
    if (opts.json) printJson(e);
    else process.stdout.write(describeExecution(e));
  } finally {
    db.close();
  }
}
