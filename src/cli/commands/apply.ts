import { compareDiagnostics, formatDiagnostic } from '../../core/diagnostic.js';
import { reconcile } from '../../reconcile/reconcile.js';
import { followCommits } from '../../reconcile/commits.js';
import { planSummary } from '../../core/plan.js';
import { ExitError } from '../../core/errors.js';
import { printJson } from '../output.js';
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
    // Formatting pulls in Handlebars, croner and diff: load it only when there is something to show.
    const quiet = !opts.json && result.plan.actions.every((a) => a.kind === 'unchanged');
    const { planToJson, renderPlanText } = quiet ? { planToJson: () => ({}), renderPlanText: () => '' } : await import('../plan-format.js');
    const blocking = result.blocking.sort(compareDiagnostics);
    if (opts.json) {
      printJson({ applied: result.applied, blocking, ...planToJson(result.plan), durationMs: Math.round(result.durationMs) });
    } else {
      for (const d of blocking) process.stdout.write(`${formatDiagnostic(d)}\n`);
      if (blocking.length) process.stdout.write('nothing applied: fix the errors above first\n');
      else {
        process.stdout.write(renderPlanText(result.plan, { past: true }));
        process.stdout.write(`${result.applied ? 'applied' : 'nothing to apply'}: ${planSummary(result.plan)}\n`);
      }
    }
    if (blocking.length || result.plan.counts.invalid) throw new ExitError(1);
  } finally {
    db.close();
  }
}
