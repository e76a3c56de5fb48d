import { compareDiagnostics, formatDiagnostic } from '../../core/diagnostic.js';
import { reconcile } from '../../reconcile/reconcile.js';
import { followCommits } from '../../reconcile/commits.js';
import { planSummary } from '../../core/plan.js';
import { ExitError } from '../../core/errors.js';
import { printJson } from '../output.js';
import { renderActions } from '../plan-lines.js';
import { openRegistry, resolveRepo } from '../repo.js';
import type { GlobalOptions } from '../options.js';

/**
 * `agent-hub apply`: valid changes are applied; invalid files keep their last good version.
 * Exit 1 when any file is invalid (after applying the rest), so CI and scripts notice.
 */
export async function run(opts: GlobalOptions): Promise<void> {
  const root = resolveRepo(opts.repo);
  const db = openRegistry(root);
  try {
    const result = await reconcile(root, db);
    await followCommits(root, db, result, { onlyUncommitted: true }); // "(uncommitted)" goes once the files are committed
    // The JSON form pulls in the review's modules (Handlebars, diff): loaded only for --json.
    const { planToJson } = opts.json ? await import('../plan-format.js') : { planToJson: () => ({}) };
    const blocking = result.blocking.sort(compareDiagnostics);
    if (opts.json) {
      printJson({ applied: result.applied, blocking, ...planToJson(result.plan), durationMs: Math.round(result.durationMs) });
    } else {
      for (const d of blocking) process.stdout.write(`${formatDiagnostic(d)}\n`);
      if (blocking.length) process.stdout.write('nothing applied: fix the errors above first\n');
      else {
        process.stdout.write(renderActions(result.plan, { past: true }));
        process.stdout.write(`${result.applied ? 'applied' : 'nothing to apply'}: ${planSummary(result.plan)}\n`);
      }
    }
    if (blocking.length || result.plan.counts.invalid) throw new ExitError(1);
  } finally {
    db.close();
  }
}
