import type { Observed } from '../../core/plan.js';
import { plan as makePlan, planSummary } from '../../core/plan.js';
import type { ConnectorVersion } from '../../core/types.js';
import { compareDiagnostics, formatDiagnostic } from '../../core/diagnostic.js';
import { hubFilesAt } from '../../gitstate/tree-at.js';
import { git } from '../../gitstate/git.js';
import { listConnectors, observe } from '../../registry/connectors.js';
import { loadDesired } from '../../spec/load.js';
import { loadHubConfig, type HubConfig } from '../../spec/hub-config.js';
import { reviewHub } from '../../review/hub-changes.js';
import { ExitError, inContext } from '../../core/errors.js';
import { medianCosts } from '../../registry/costs.js';
import { reviewPlan } from '../../review/review.js';
import type { CostHistory } from '../../review/forecast.js';
import { printJson } from '../output.js';
import { openRegistryOrEmpty, openRunRegistry, resolveRepo } from '../repo.js';
import type { GlobalOptions } from '../options.js';
import { planToJson, promptDiff, renderPlanText, totalLine } from '../plan-format.js';
import { renderPlanMarkdown } from '../plan-markdown.js';

interface PlanOptions extends GlobalOptions {
  format: 'text' | 'markdown';
  base?: string;
}

interface Baseline {
  observed: Observed;
  previous: Map<string, ConnectorVersion>;
  label: string;
  /** hub.yaml at the base ref, when it is valid there: compared with the one now. */
  hub?: HubConfig;
  /** Commits of the base ref HEAD does not have: their changes show as reverted. */
  behind?: number;
}

/** The registry as the baseline: what `apply` would do on this machine. */
function registryBaseline(root: string): Baseline {
  const db = openRegistryOrEmpty(root);
  try {
    const previous = new Map(listConnectors(db).filter((c) => c.active).map((c) => [c.id, c.version]));
    return { observed: observe(db).observed, previous, label: 'the registry in .agent-hub/' };
  } finally {
    db.close();
  }
}

/** The connectors at a git ref as the baseline: what merging a pull request would change. */
async function refBaseline(root: string, ref: string): Promise<Baseline> {
  let tree: Awaited<ReturnType<typeof hubFilesAt>>;
  try {
    tree = await hubFilesAt(root, ref);
  } catch (err) {
    throw inContext(err, `--base ${ref}`);
  }
  try {
    const base = await loadDesired(tree.dir);
    const previous = new Map<string, ConnectorVersion>();
    const connectors = [];
    for (const f of base.files) {
      if (!f.version || !f.specHash || f.diagnostics.some((d) => d.severity === 'error')) continue;
      previous.set(f.version.spec.id, f.version);
      connectors.push({ id: f.version.spec.id, specHash: f.specHash, sourcePath: f.path, active: true, hasError: false });
    }
    const hub = loadHubConfig(tree.dir);
    const behind = await behindBy(root, ref);
    return { observed: { connectors, sources: [] }, previous, label: `\`${ref}\``, behind, ...(hub.diagnostics.length ? {} : { hub: hub.config }) };
  } finally {
    tree.dispose();
  }
}

/**
 * How many commits of `ref` HEAD lacks: a branch made before its base moved on compares its
 * files with a base that has changes it never saw. (On a pull request's merge commit, none.)
 */
async function behindBy(root: string, ref: string): Promise<number> {
  const r = await git(root, ['rev-list', '--count', `HEAD..${ref}`], { ok: [128] });
  return r.exitCode === 0 ? Number(r.stdout.trim()) || 0 : 0;
}

/** The note a plan starts with when HEAD is behind its base; '' when it is not. */
function behindNote(behind: number | undefined, ref: string, code: (s: string) => string): string {
  if (!behind) return '';
  return `HEAD lacks ${behind} commit${behind === 1 ? '' : 's'} of ${code(ref)}: what ${behind === 1 ? 'it' : 'they'} changed shows here as reverted; merge or rebase onto ${code(ref)} to see only this branch's changes`;
}

/**
 * Median cost per run of these connectors: from the local registry, or where there is none (a
 * CI clone) from the run records committed under state/, as `history` reads them.
 */
async function costHistory(root: string, ids: string[]): Promise<Map<string, CostHistory>> {
  if (ids.length === 0) return new Map();
  let opened: Awaited<ReturnType<typeof openRunRegistry>>;
  try {
    opened = await openRunRegistry(root);
  } catch (err) {
    // The plan matters more than its forecast: say why there is none and go on.
    process.stderr.write(`agent-hub: no cost forecast: the run history could not be read (${(err as Error).message})\n`);
    return new Map();
  }
  try {
    return medianCosts(opened.db, ids);
  } finally {
    opened.db.close();
  }
}

/** `agent-hub plan`: what apply would do, never writing anything. Exit 1 if a file is invalid. */
export async function run(opts: PlanOptions): Promise<void> {
  const root = resolveRepo(opts.repo);
  const baseline = opts.base ? await refBaseline(root, opts.base) : registryBaseline(root);
  const desired = await loadDesired(root);
  const p = makePlan(desired.files, baseline.observed);
  const changed = p.actions.flatMap((a) => (a.kind === 'create' || a.kind === 'update' || a.kind === 'remove' ? [a.id] : []));
  const head = loadHubConfig(root);
  const defaults = head.config.defaults;
  const connectorReview = reviewPlan(p, { previous: baseline.previous, costs: await costHistory(root, changed), root, ...(defaults ? { defaults } : {}) });
  // hub.yaml's own settings, against the base ref's (the registry keeps no copy to compare with).
  const hubReview = baseline.hub && head.diagnostics.length === 0 ? reviewHub(baseline.hub, head.config) : undefined;
  const hub = hubReview?.changes.length ? hubReview : undefined;
  const review = hub ? { ...connectorReview, risks: [...hub.risks, ...connectorReview.risks] } : connectorReview;
  const blocking = desired.global.filter((d) => d.severity === 'error').sort(compareDiagnostics);

  if (opts.json) {
    const diffs = Object.fromEntries(
      p.actions.flatMap((a) => (a.kind === 'create' || a.kind === 'update' ? [[a.id, promptDiff(a.id, baseline.previous.get(review.connectors.get(a.id)?.renamedFrom ?? a.id), a.version)]] : [])),
    );
    printJson({ base: opts.base ?? 'registry', ...(opts.base ? { behind: baseline.behind ?? 0 } : {}), blocking, ...planToJson(p, review), hub: hub ?? null, promptDiffs: diffs });
  } else if (opts.format === 'markdown') {
    const note = behindNote(baseline.behind, opts.base ?? '', (r) => `\`${r}\``);
    const comment = renderPlanMarkdown(p, baseline.previous, baseline.label, review, hub);
    // After the marker and the title, before anything a reviewer reads as this branch's change.
    process.stdout.write(note ? comment.replace(/\n\n/, `\n\n> ⚠️ ${note}\n\n`) : comment);
    if (blocking.length) process.stdout.write(`\n**Blocking errors:**\n\n\`\`\`\n${blocking.map(formatDiagnostic).join('\n')}\n\`\`\`\n`);
  } else {
    const note = behindNote(baseline.behind, opts.base ?? '', (r) => r);
    if (note) process.stdout.write(`note: ${note}\n`);
    for (const d of blocking) process.stdout.write(`${formatDiagnostic(d)}\n`);
    process.stdout.write(renderPlanText(p, { previous: baseline.previous, diffs: true, review, ...(hub ? { hub } : {}) }));
    process.stdout.write(`plan: ${planSummary(p)}${hub ? ', hub.yaml changed' : ''}\n`);
    const total = totalLine(review);
    if (total) process.stdout.write(`cost forecast: ${total}\n`);
  }
  if (blocking.length || p.counts.invalid) throw new ExitError(1);
}
