import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../core/types.js';
import type { DesiredFile } from '../core/plan.js';
import { readHubBytes } from './hub-file.js';
import type { LoadedHubConfig } from './hub-config.js';
import { decodeText } from './text.js';
import { describeLink, linkTargets, symlinkOnPath } from './paths.js';
import { whyUnreadable } from './unreadable.js';
import { readOrMissing, readWithKey, sourceHash, statFiles } from './file-keys.js';
import type { Partials, PartialFile } from './template-check.js';
import type { CheckedFile } from './check.js';
import { specDefaults } from './normalize.js';

export const CONNECTORS_DIR = 'connectors';
export const PARTIALS_DIR = 'connectors/partials';

/** Bump when checks change, so every file is checked again after an upgrade. */
const CHECKS_VERSION = 'agent-hub-checks-3';

/** What the registry remembers of a file from the last apply: enough to skip checking it again. */
export interface CachedSource {
  sourceHash: string;
  /** Stat key recorded with the hash, and when: a matching stat taken well after it skips reading. */
  statKey?: string;
  checkedAtMs?: number;
  deps: string[];
  id?: string;
  specHash?: string;
  /** The file's own diagnostics (not those that depend on other files). */
  diagnostics: Diagnostic[];
}

/** The registry's memory of the last apply, for the loader to skip unchanged files. */
export interface SourceCache {
  /** The repository-wide digest (hub.yaml, partials, checks) the entries were made under. */
  digest: string | null;
  entries: ReadonlyMap<string, CachedSource>;
}

/** A stat this close to the moment it was recorded may hide a same-tick write (git's "racy clean"). */
const RACY_MS = 2000;

export interface DesiredState {
  root: string;
  /** The repository-wide digest this state was loaded under. */
  digest: string;
  partials: Partials;
  files: DesiredFile[];
  /** Per file, the other files its version depends on. */
  deps: Map<string, string[]>;
  /** Problems outside connector files: hub.yaml, partials. */
  global: Diagnostic[];
  /** How many files were fully checked (the rest were unchanged). */
  checked: number;
}

/** The real path of a repository, so path checks cannot be fooled by symlinks. */
export function repoRoot(dir: string): string {
  return realpathSync(path.resolve(dir));
}

/** A directory's entries with their types (one readdir, no stat each); none when it is missing or unreadable. */
function entriesOf(root: string, rel: string): Dirent[] {
  try {
    return readdirSync(path.join(root, rel), { withFileTypes: true });
  } catch {
    return [];
  }
}

/**
 * Connector files, repository-relative and sorted; partials/ and dot-entries excluded.
 * `links`, when given, receives those that are symlinks (the listing's file types say so).
 */
export function listConnectorFiles(root: string, links?: Set<string>): string[] {
  const out: string[] = [];
  // Node's recursive readdir stats every entry; file types from one readdir per directory are enough.
  const walk = (rel: string) => {
    for (const e of entriesOf(root, rel)) {
      if (e.name.startsWith('.')) continue;
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (child !== PARTIALS_DIR) walk(child);
      } else if (/\.ya?ml$/.test(e.name)) {
        out.push(child);
        if (e.isSymbolicLink()) links?.add(child);
      }
    }
  };
  walk(CONNECTORS_DIR);
  return out.sort();
}

/**
 * Partials under connectors/partials, named by their path without `.hbs`. Symlinks are not
 * followed blindly: a linked file is read only when it resolves inside the repository, and
 * a linked directory is not walked (it could lead anywhere, or back to itself).
 */
export function loadPartials(root: string): { partials: Map<string, PartialFile>; diagnostics: Diagnostic[] } {
  const partials = new Map<string, PartialFile>();
  const diagnostics: Diagnostic[] = [];
  const problem = (file: string, message: string, hint: string, severity: Diagnostic['severity'] = 'error') =>
    diagnostics.push({ file, line: 1, column: 1, path: '', message, hint, severity, rule: 'partial' });
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const e of entriesOf(root, rel)) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (e.isSymbolicLink()) {
        const link = symlinkOnPath(root, child);
        if (statSync(path.join(root, child), { throwIfNoEntry: false })?.isDirectory()) {
          problem(child, `"${child}" is a symlink to a directory; partials in it are not loaded`, 'move the partials into connectors/partials/ itself', 'warning');
        } else if (!e.name.endsWith('.hbs')) continue;
        else if (link?.leaves) problem(child, describeLink(root, link), 'copy the file into the repository instead of linking it');
        else files.push(child);
      } else if (e.name.endsWith('.hbs')) files.push(child);
    }
  };
  walk(PARTIALS_DIR);
  for (const file of files.sort()) {
    const decoded = decodeText(readFileSync(path.join(root, file)));
    if ('error' in decoded) {
      problem(file, decoded.error, decoded.hint);
      continue;
    }
    partials.set(file.slice(PARTIALS_DIR.length + 1).replace(/\.hbs$/, ''), { file, source: decoded.text });
  }
  return { partials, diagnostics };
}

function digestOf(hubBytes: Uint8Array, partials: Partials): string {
  const h = createHash('sha256').update(CHECKS_VERSION).update('\0hub\0').update(hubBytes);
  for (const [name, p] of partials) h.update(`\0partial\0${name}\0`).update(p.source);
  return h.digest('hex');
}

/** A listed connector file that could not be read (unreadable.ts says why), added as an invalid file; nothing when it is no file at all. */
export function addUnreadable(root: string, digest: string, file: string, files: DesiredFile[], deps: Map<string, string[]>): void {
  const problem = whyUnreadable(root, file);
  if (!problem) return;
  const links = linkTargets(root, file);
  files.push({ path: file, sourceHash: sourceHash(root, digest, new TextEncoder().encode(`\0unreadable\0${problem.message}`), links), diagnostics: [problem] });
  deps.set(file, links);
}

/**
 * Reads the connector files of a repository into desired state. A file whose stat or
 * content matches `cache` is taken as it was (no parsing); every other file is fully
 * checked. Checking modules (yaml, ajv, Handlebars) are loaded only when some file needs
 * them, which keeps a no-change apply fast.
 */
export async function loadDesired(rootDir: string, cache: SourceCache = { digest: null, entries: new Map() }): Promise<DesiredState> {
  const root = repoRoot(rootDir);
  const hubBytes = readHubBytes(root);
  const { partials, diagnostics: partialErrors } = loadPartials(root);
  const digest = digestOf(hubBytes, partials);
  // The same digest as the last successful apply means hub.yaml was valid then and still is:
  // it is parsed only when it changed or some file needs its defaults.
  const trustStat = cache.digest === digest;
  let hub: LoadedHubConfig | undefined;
  // No hub.yaml: no settings, as parseHubConfig says of empty bytes, without loading it (nor hub.yaml's schema).
  const hubConfig = async () => (hub ??= hubBytes.length === 0 ? { config: {}, bytes: hubBytes, diagnostics: [] } : (await import('./hub-config.js')).parseHubConfig(hubBytes));
  if (!trustStat) await hubConfig();

  const files: DesiredFile[] = [];
  const deps = new Map<string, string[]>();
  let checked = 0;
  /** The checks and what they need to know, made at the first file that needs checking. */
  let checking: { check: typeof import('./check.js').checkConnectorFile; ctx: import('./check.js').CheckContext } | undefined;

  const links = new Set<string>();
  for (const file of listConnectorFiles(root, links)) {
    const cached = cache.entries.get(file);
    let bytes: Uint8Array | undefined;
    let statKey: string;
    if (cached) {
      const st = statFiles(root, [file, ...cached.deps]);
      statKey = st.key;
      const racy = cached.checkedAtMs === undefined || st.newestMs >= cached.checkedAtMs - RACY_MS;
      if (trustStat && cached.statKey === statKey && !racy) {
        files.push(fromCache(file, cached, statKey));
        deps.set(file, cached.deps);
        continue;
      }
      bytes = readOrMissing(path.join(root, file));
    } else {
      // A file the registry never saw (all of them, on a first apply): its key from the read's own fstat.
      const read = readWithKey(path.join(root, file));
      bytes = read?.bytes;
      statKey = read?.key ?? 'missing';
    }
    if (!bytes) {
      addUnreadable(root, digest, file, files, deps); // or nothing, deleted while we were listing
      continue;
    }
    if (cached && sourceHash(root, digest, bytes, cached.deps) === cached.sourceHash) {
      files.push(fromCache(file, cached, statKey));
      deps.set(file, cached.deps);
      continue;
    }
    checking ??= { check: (await import('./check.js')).checkConnectorFile, ctx: { root, partials, defaults: specDefaults((await hubConfig()).config.defaults) } };
    const desired = checking.check(checking.ctx, file, bytes, links.has(file));
    const fileDeps = desired.deps;
    checked++;
    const sameDeps = (cached?.deps ?? []).join('\0') === fileDeps.join('\0');
    files.push(asDesired(desired, sourceHash(root, digest, bytes, fileDeps), sameDeps ? statKey : statFiles(root, [file, ...fileDeps]).key));
    deps.set(file, fileDeps);
  }
  markDuplicateIds(files);
  return { root, digest, partials, files, deps, global: [...(hub?.diagnostics ?? []), ...partialErrors], checked };
}

/** A checked file as desired state: its fields without deps, built by assignment (5,000 on a cold apply); reconcile/changed.ts's too. */
export function asDesired(c: CheckedFile, sourceHash: string, statKey?: string): DesiredFile {
  const out: DesiredFile = { path: c.path, sourceHash, diagnostics: c.diagnostics };
  if (statKey !== undefined) out.statKey = statKey;
  if (c.id !== undefined) out.id = c.id;
  if (c.specHash !== undefined) out.specHash = c.specHash;
  if (c.version !== undefined) out.version = c.version;
  return out;
}

/** A file taken as the registry recorded it (built field by field: this runs for every unchanged file). */
function fromCache(file: string, c: CachedSource, statKey: string): DesiredFile {
  const out: DesiredFile = { path: file, sourceHash: c.sourceHash, statKey, diagnostics: c.diagnostics };
  if (c.id) out.id = c.id;
  if (c.specHash) out.specHash = c.specHash;
  return out;
}

/** Two files with one id are both invalid: neither silently wins. */
function markDuplicateIds(files: DesiredFile[]): void {
  const byId = new Map<string, DesiredFile[]>();
  for (const f of files) {
    if (!f.id) continue;
    const group = byId.get(f.id);
    if (group) group.push(f);
    else byId.set(f.id, [f]);
  }
  for (const [id, group] of byId) {
    if (group.length < 2) continue;
    for (const f of group) {
      const others = group.filter((g) => g !== f).map((g) => g.path).join(', ');
      f.diagnostics = [...f.diagnostics, {
        file: f.path, line: 1, column: 1, path: 'id', message: `id "${id}" is also used by ${others}`,
        hint: 'ids must be unique: rename one file or set a different `id:`', severity: 'error', rule: 'duplicate-id',
      }];
    }
  }
}
