import { getExecution, type Execution } from '../../registry/executions.js';
import { loadHubConfig } from '../../spec/hub-config.js';
import { readTranscript } from '../../gitstate/transcript-read.js';
import { formatTranscript } from '../transcript-format.js';
import { UserError } from '../../core/errors.js';
import { printJson } from '../output.js';
import { FROM_GIT_NOTE, openRunRegistry, resolveRepo } from '../repo.js';
import type { GlobalOptions } from '../options.js';
import { describeExecution } from '../execution-format.js';
import { runDeliveries } from '../../registry/outbox.js';
import { deliverySummaries, describeDeliveries } from '../../deliver/format.js';

/** `agent-hub show <run-id>`: everything recorded about one run; `--transcript`: what its agent did, step by step. */
export async function run(id: string, opts: GlobalOptions & { transcript?: boolean }): Promise<void> {
  const root = resolveRepo(opts.repo);
  const { db, fromGit } = await openRunRegistry(root);
  if (fromGit && !opts.json) process.stderr.write(FROM_GIT_NOTE);
  try {
    const e = getExecution(db, id);
    if (!e) throw new UserError(`no run "${id}" (see agent-hub history)`);
    if (opts.transcript) return await showTranscript(root, e, opts.json === true);
    // A registry rebuilt from git has no outbox (it is local): nothing to add then.
    const deliveries = fromGit ? [] : runDeliveries(db, e.id);
    if (opts.json) printJson(deliveries.length ? { ...e, deliveries: deliverySummaries(deliveries) } : e);
    else process.stdout.write(describeExecution(e) + describeDeliveries(deliveries));
  } finally {
    db.close();
  }
}

async function showTranscript(root: string, e: Execution, json: boolean): Promise<void> {
  const events = await readTranscript(root, loadHubConfig(root).config, e);
  if (!events) throw new UserError(`run ${e.id} has no transcript here (state.transcripts is off, it ran before transcripts were kept, or it was kept on another machine with state.transcripts: local)`);
  if (json) printJson(events);
  else process.stdout.write(formatTranscript(events));
}
