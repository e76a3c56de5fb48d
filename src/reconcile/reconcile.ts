import { plan as makePlan, isNoop, type Plan } from '../core/plan.js';
import type { Diagnostic } from '../core/types.js';
import type { Db } from '../registry/db.js';
import { applyPlan, observe } from '../registry/connectors.js';
import { loadDesired, PARTIALS_DIR, type DesiredState } from '../spec/load.js';
import { HUB_FILE } from '../spec/hub-file.js';
import { loadChanged } from './changed.js';
import { mayBeInGit } from './git-presence.js';

export interface ReconcileResult {
  plan: Plan;
  desired: DesiredState;
  /** False for a dry run, a no-op plan, or a broken hub.yaml. */
  applied: boolean;
  /** Errors that stop the whole apply (hub.yaml, partials): nothing was changed. */
  blocking: Diagnostic[];
  durationMs: number;
}

/**
 * One reconcile: read the files (skipping unchanged ones), plan against the registry,
 * apply in one transaction. Idempotent: a second call with no change writes nothing.
 * `changed` (a file event's paths): only those files are checked and planned, when no other
 * file can be affected (see changed.ts); the plan then holds their connectors alone.
 */
export async function reconcile(root: string, db: Db, opts: { dryRun?: boolean; changed?: readonly string[] } = {}): Promise<ReconcileResult> {
  const started = performance.now();
  const { observed, cache } = observe(db);
  const only = opts.changed && !opts.dryRun ? await loadChanged(root, observed, cache, opts.changed) : undefined;
  const desired = only?.desired ?? await loadDesired(root, opts.dryRun ? undefined : cache);
  const p = makePlan(desired.files, only?.observed ?? observed);
  const blocking = desired.global.filter((d) => d.severity === 'error');
  let applied = false;
  if (!opts.dryRun && blocking.length === 0 && !isNoop(p)) {
    const commits = await versionCommits(desired, p);
    applyPlan(db, p, { deps: desired.deps, digest: desired.digest, commits });
    applied = true;
  }
  return { plan: p, desired, applied, blocking, durationMs: performance.now() - started };
}

/** For each created or updated connector, the commit its files came from (if clean). */
async function versionCommits(desired: DesiredState, p: Plan): Promise<Map<string, string>> {
  const changed = p.actions.filter((a) => a.kind === 'create' || a.kind === 'update');
  const commits = new Map<string, string>();
  if (changed.length === 0 || !mayBeInGit(desired.root)) return commits;
  const filesOf = new Map(changed.map((a) => [a.id, [
    a.file.path, HUB_FILE, ...(desired.deps.get(a.file.path) ?? []), ...Object.keys(a.version.partials).map((n) => `${PARTIALS_DIR}/${n}.hbs`),
  ]]));
  // git is asked (and its module loaded) only when something changed.
  const { commitOf, readRevision } = await import('../gitstate/revision.js');
  const rev = await readRevision(desired.root, [...new Set([...filesOf.values()].flat())]);
  for (const [id, files] of filesOf) {
    const commit = commitOf(rev, files);
    if (commit) commits.set(id, commit);
  }
  return commits;
}
