import { GitState } from '../../gitstate/state.js';
import { ExitError, UserError, inContext } from '../../core/errors.js';
import { printJson } from '../output.js';
import { openRegistry, resolveRepo } from '../repo.js';
import { requireHubConfig } from '../../spec/hub-config.js';
import type { GlobalOptions } from '../options.js';

/** `agent-hub snapshot`: commit the queued run records and a registry snapshot now. */
export async function run(opts: GlobalOptions): Promise<void> {
  const root = resolveRepo(opts.repo);
  const config = requireHubConfig(root);
  const db = openRegistry(root);
  try {
    let outcome;
    try {
      const gitState = new GitState(db, root, config);
      await gitState.followBranch(); // only on the hub's branch, as the daemon commits
      outcome = await gitState.commit({ snapshotAlone: true });
      await gitState.pushed(); // with a remote, the push runs after the commit: wait for it before exiting
    } catch (err) {
      throw inContext(err, 'could not commit the state', '\nthe run records stay on disk and are committed next time');
    }
    // Put off (a git command holds the index, HEAD is detached…): nothing was committed, which is a failure here.
    if (opts.json) {
      printJson(outcome);
      if (outcome.deferred) throw new ExitError(1);
    } else if (outcome.deferred) throw new UserError(`not committed: ${outcome.deferred}; the run records stay queued: fix that and run agent-hub snapshot again`);
    else if (!outcome.sha) process.stdout.write('nothing to commit: the state in git is up to date\n');
    else process.stdout.write(`committed ${outcome.sha.slice(0, 12)}: ${outcome.runs} run${outcome.runs === 1 ? '' : 's'}${outcome.outputs ? `, ${outcome.outputs} output${outcome.outputs === 1 ? '' : 's'}` : ''} and the registry snapshot${config.state?.branch ? ` on branch ${config.state.branch}` : ''}\n`);
  } finally {
    db.close();
  }
}
