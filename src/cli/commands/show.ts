import { getExecution } from '../../registry/executions.js';
import { UserError } from '../../core/errors.js';
import { printJson } from '../output.js';
import { FROM_GIT_NOTE, openRunRegistry, resolveRepo } from '../repo.js';
import type { GlobalOptions } from '../options.js';
import { describeExecution } from '../execution-format.js';
import { runDeliveries } from '../../registry/outbox.js';
import { deliverySummaries, describeDeliveries } from '../../deliver/format.js';

/** `agent-hub show <run-id>`: everything recorded about one run. */
export async function run(id: string, opts: GlobalOptions): Promise<void> {
  const { db, fromGit } = await openRunRegistry(resolveRepo(opts.repo));
  if (fromGit && !opts.json) process.stderr.write(FROM_GIT_NOTE);
  try {
    const e = getExecution(db, id);
    if (!e) throw new UserError(`no run "${id}" (see agent-hub history)`);
    // A registry rebuilt from git has no outbox (it is local): nothing to add then.
    const deliveries = fromGit ? [] : runDeliveries(db, e.id);
    if (opts.json) printJson(deliveries.length ? { ...e, deliveries: deliverySummaries(deliveries) } : e);
    else process.stdout.write(describeExecution(e) + describeDeliveries(deliveries));
  } finally {
    db.close();
  }
}
