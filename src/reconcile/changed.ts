import { lstatSync } from 'node:fs';
import path from 'node:path';
import type { DesiredFile, Observed } from '../core/plan.js';
import { HUB_FILE, readHubBytes } from '../spec/hub-file.js';
import { CONNECTORS_DIR, PARTIALS_DIR, addUnreadable, asDesired, loadPartials, repoRoot, type DesiredState, type SourceCache } from '../spec/load.js';
import { specDefaults } from '../spec/normalize.js';
import { readOrMissing, sourceHash } from '../spec/file-keys.js';

/** The desired and observed state of just the files a file event named, for plan(). */
export interface ChangedState {
  desired: DesiredState;
  observed: Observed;
}

/**
 * Beyond this many paths (a checkout, a sed over every file) the full pass is cheaper: its
 * cache skips files whose content did not change, where each named file here is checked
 * (~1 ms each, against ~70 ms for a full pass over 5,000).
 */
const MAX_PATHS = 50;

/**
 * The state of the changed files alone, so that an edit to one of 5,000 connectors checks
 * one file and plans over one connector instead of stat-ing and planning all of them.
 * Paths no connector can depend on (an editor's swap and backup files, notes) are left out.
 * Undefined when the change may matter to other files, and the full pass decides: hub.yaml,
 * a partial, a file some connector reads (promptFile, a symlink's target), a directory, a file
 * with hard links, an id another file has or had (duplicates, moves), a hub.yaml or partial
 * with errors, or a registry without a recorded digest. The resync and the start stay full passes.
 */
export async function loadChanged(rootDir: string, all: Observed, cache: SourceCache, changed: readonly string[]): Promise<ChangedState | undefined> {
  if (cache.digest === null || changed.length === 0 || changed.length > MAX_PATHS) return undefined;
  const root = repoRoot(rootDir);
  const paths = new Set<string>();
  const read = new Set([...cache.entries.values()].flatMap((e) => e.deps));
  for (const p of new Set(changed)) {
    if (p === HUB_FILE || p === PARTIALS_DIR || p.startsWith(`${PARTIALS_DIR}/`) || read.has(p) || !p.startsWith(`${CONNECTORS_DIR}/`)) return undefined;
    const st = lstatSync(path.join(root, p), { throwIfNoEntry: false });
    if (st?.isDirectory()) return undefined;
    // A file with other names (hard links): an edit in place changes what each name reads, and the event names one.
    if (st && st.nlink > 1) return undefined;
    // Gone: it may have been a directory holding connector files, whatever its name (a directory `x.yaml` too).
    if (!st && all.sources.some((s) => s.path.startsWith(`${p}/`))) return undefined;
    if (isConnectorPath(p)) paths.add(p);
  }
  if (paths.size === 0) return { desired: { root, digest: cache.digest, partials: new Map(), files: [], deps: new Map(), global: [], checked: 0 }, observed: { connectors: [], sources: [] } };
  // hub.yaml's module (and its schema) is loaded here, by the daemon's scoped pass: `apply` and `validate` start without it.
  const hub = (await import('../spec/hub-config.js')).parseHubConfig(readHubBytes(root));
  const { partials, diagnostics } = loadPartials(root);
  if (hub.diagnostics.length || diagnostics.some((d) => d.severity === 'error')) return undefined;
  const ctx = { root, partials, defaults: specDefaults(hub.config.defaults) };
  const { checkConnectorFile } = await import('../spec/check.js');

  const files: DesiredFile[] = [];
  const deps = new Map<string, string[]>();
  for (const file of [...paths].sort()) {
    const bytes = readOrMissing(path.join(root, file));
    if (!bytes) {
      addUnreadable(root, cache.digest, file, files, deps); // or nothing, removed
      continue;
    }
    const checked = checkConnectorFile(ctx, file, bytes);
    // No stat key: the next full pass reads the file once and records it.
    files.push(asDesired(checked, sourceHash(root, cache.digest, bytes, checked.deps)));
    deps.set(file, checked.deps);
  }

  // The connectors these files claim, claimed, or hold: when another file has a say in any of them, the whole repository decides.
  const ids = new Set<string>();
  for (const f of files) {
    if (f.id === undefined) continue;
    if (ids.has(f.id)) return undefined; // two changed files with one id
    ids.add(f.id);
  }
  for (const s of all.sources) if (paths.has(s.path) && s.connectorId !== null) ids.add(s.connectorId);
  for (const c of all.connectors) if (paths.has(c.sourcePath)) ids.add(c.id);
  if (all.sources.some((s) => !paths.has(s.path) && s.connectorId !== null && ids.has(s.connectorId))) return undefined;
  if (all.connectors.some((c) => c.active && ids.has(c.id) && !paths.has(c.sourcePath))) return undefined;

  return {
    desired: { root, digest: cache.digest, partials, files, deps, global: diagnostics, checked: files.length },
    observed: { connectors: all.connectors.filter((c) => ids.has(c.id)), sources: all.sources.filter((s) => paths.has(s.path)) },
  };
}

/** A file the loader lists as a connector file (listConnectorFiles): YAML under connectors/, not a partial, no dot entry on the way. */
function isConnectorPath(p: string): boolean {
  return p.startsWith(`${CONNECTORS_DIR}/`) && !p.startsWith(`${PARTIALS_DIR}/`) && /\.ya?ml$/.test(p) && !p.split('/').some((part) => part.startsWith('.'));
}
