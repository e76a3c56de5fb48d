import type { Action, Observed, Plan } from '../core/plan.js';
import type { ConnectorVersion, Diagnostic } from '../core/types.js';
import type { CachedSource, SourceCache } from '../spec/load.js';
import { stmt, type Db } from './db.js';
import { filesReadBy } from '../spec/write-paths.js';

/** A connector as `status` and the API show it. */
export interface ConnectorRow {
  id: string;
  name: string;
  description: string | null;
  schedule: string | null;
  enabled: boolean;
  active: boolean;
  specHash: string;
  sourcePath: string;
  gitCommit: string | null;
  appliedAt: string | null;
  version: ConnectorVersion;
  lastError: Diagnostic[] | null;
  lastErrorAt: string | null;
}

interface RawConnector {
  id: string; name: string; description: string | null; schedule: string | null; enabled: number; active: number;
  spec_hash: string; source_path: string; git_commit: string | null; applied_at: string | null; spec: string;
  last_error: string | null; last_error_at: string | null;
}

function toRow(r: RawConnector): ConnectorRow {
  return {
    id: r.id, name: r.name, description: r.description, schedule: r.schedule, enabled: r.enabled === 1, active: r.active === 1,
    specHash: r.spec_hash, sourcePath: r.source_path, gitCommit: r.git_commit, appliedAt: r.applied_at,
    version: JSON.parse(r.spec) as ConnectorVersion,
    lastError: r.last_error ? (JSON.parse(r.last_error) as Diagnostic[]) : null, lastErrorAt: r.last_error_at,
  };
}

/** The columns a ConnectorRow is made of: not the prompt and config columns, written empty (migrations.ts, version 1). */
const ROW_COLUMNS = 'id, name, description, schedule, enabled, active, spec_hash, source_path, git_commit, applied_at, spec, last_error, last_error_at';

/** Every connector the registry knows, active or not, by id. */
export function listConnectors(db: Db): ConnectorRow[] {
  return (db.prepare(`SELECT ${ROW_COLUMNS} FROM connectors WHERE spec IS NOT NULL ORDER BY id`).all() as RawConnector[]).map(toRow);
}

const readByCache = new WeakMap<Db, { key: string; value: ReadonlyMap<string, string> }>();

/**
 * The files connectors read, which no run's output may replace (see filesReadBy): worked
 * out again only after the registry changed, not for every run that saves its result.
 */
export function connectorFilesRead(db: Db, root: string): ReadonlyMap<string, string> {
  const key = `${root}\0${observeKey(db)}`;
  const hit = readByCache.get(db);
  if (hit?.key === key) return hit.value;
  const value = filesReadBy(root, listConnectors(db).map((c) => c.version));
  readByCache.set(db, { key, value });
  return value;
}

/** How many connectors the registry has, active or not. */
export function connectorCount(db: Db): number {
  return (stmt(db, 'SELECT COUNT(*) AS n FROM connectors').get() as { n: number }).n;
}

export function getConnector(db: Db, id: string): ConnectorRow | undefined {
  const r = db.prepare(`SELECT ${ROW_COLUMNS} FROM connectors WHERE id = ? AND spec IS NOT NULL`).get(id) as RawConnector | undefined;
  return r && toRow(r);
}

/** Files the last apply saw with errors and no connector to show them on. */
export function listInvalidSources(db: Db): Array<{ path: string; connectorId: string | null; diagnostics: Diagnostic[] }> {
  const rows = db.prepare("SELECT path, connector_id, diagnostics FROM sources WHERE diagnostics LIKE '%\"severity\":\"error\"%' ORDER BY path").all() as Array<{ path: string; connector_id: string | null; diagnostics: string }>;
  return rows.map((r) => ({ path: r.path, connectorId: r.connector_id, diagnostics: JSON.parse(r.diagnostics) as Diagnostic[] }));
}

interface RawSource {
  path: string; source_hash: string; deps: string; connector_id: string | null; spec_hash: string | null;
  diagnostics: string; stat: string | null; checked_at: string;
}

const parseList = <T>(json: string): T[] => (json === '[]' ? [] : (JSON.parse(json) as T[]));

const local = new WeakMap<Db, number>();
const observedCache = new WeakMap<Db, { key: string; value: { observed: Observed; cache: SourceCache } }>();

/** Marks the registry tables changed by this connection (another connection's writes show in data_version). */
export function registryChanged(db: Db): void {
  local.set(db, (local.get(db) ?? 0) + 1);
}

/** Changes whenever the connectors may have: for caches of what is read from them. */
export const observeKey = (db: Db) => `${local.get(db) ?? 0}:${String(db.pragma('data_version', { simple: true }))}`;

/**
 * The observed state for plan() (small rows, no specs), and what the loader may reuse
 * without checking: sources whose recorded result still matches the registry (a valid
 * file whose connector is active at that hash and path, or an invalid one). A long-lived
 * hub reads it once and again only after the registry changed.
 */
export function observe(db: Db): { observed: Observed; cache: SourceCache } {
  const key = observeKey(db);
  const hit = observedCache.get(db);
  if (hit?.key === key) return hit.value;
  const value = readObserved(db);
  observedCache.set(db, { key, value });
  return value;
}

// last_error_at is set and cleared with last_error (setError, clearError, upsert, deactivate): testing it keeps the scan in the connectors_live index.
const CONNECTOR_COLUMNS = 'id, spec_hash, source_path, active, last_error_at IS NOT NULL AS has_error';
const SOURCE_COLUMNS = 'path, source_hash, deps, connector_id, spec_hash, diagnostics, stat, checked_at';
type ObservedConnector = Observed['connectors'][number];

function toObservedConnector(r: { id: string; spec_hash: string; source_path: string; active: number; has_error: number }): ObservedConnector {
  return { id: r.id, specHash: r.spec_hash, sourcePath: r.source_path, active: r.active === 1, hasError: r.has_error === 1 };
}

/** What the loader may reuse of a source row, or undefined: a valid file whose connector is no longer live at that hash and path. */
function entryOf(r: RawSource, live: ReadonlyMap<string, ObservedConnector>): CachedSource | undefined {
  const diagnostics = parseList<Diagnostic>(r.diagnostics);
  const invalid = diagnostics.some((d) => d.severity === 'error');
  if (!invalid) {
    const c = r.connector_id ? live.get(r.connector_id) : undefined;
    if (!c || c.specHash !== r.spec_hash || c.sourcePath !== r.path) return undefined;
  }
  return {
    sourceHash: r.source_hash, deps: parseList<string>(r.deps), diagnostics, checkedAtMs: Date.parse(r.checked_at),
    ...(r.stat ? { statKey: r.stat } : {}),
    ...(r.connector_id ? { id: r.connector_id } : {}), ...(r.spec_hash && !invalid ? { specHash: r.spec_hash } : {}),
  };
}

const liveOf = (connectors: readonly ObservedConnector[]) => new Map(connectors.filter((c) => c.active).map((c) => [c.id, c]));
const toObservedSource = (r: RawSource) => ({ path: r.path, sourceHash: r.source_hash, connectorId: r.connector_id, statKey: r.stat });

function readObserved(db: Db): { observed: Observed; cache: SourceCache } {
  // Read in id order (from the connectors_live index, not the wide rows), then put in rowid order, the order patchObserved keeps.
  const inIdOrder = db.prepare(`SELECT rowid AS r, ${CONNECTOR_COLUMNS} FROM connectors WHERE spec IS NOT NULL ORDER BY id`).all() as Array<Parameters<typeof toObservedConnector>[0] & { r: number }>;
  const connectors = inIdOrder.sort((a, b) => a.r - b.r).map(toObservedConnector);
  const live = liveOf(connectors);
  const rows = db.prepare(`SELECT ${SOURCE_COLUMNS} FROM sources`).all() as RawSource[];
  const sources = [];
  const entries = new Map<string, CachedSource>();
  for (const r of rows) {
    sources.push(toObservedSource(r));
    const entry = entryOf(r, live);
    if (entry) entries.set(r.path, entry);
  }
  const digest = (db.prepare("SELECT value FROM config WHERE key = 'sources.digest'").get() as { value: string } | undefined)?.value ?? null;
  return { observed: { connectors, sources }, cache: { digest, entries } };
}

/**
 * After this connection's own apply: the observed state brought up to date from the rows
 * the apply touched, instead of reading 5,000 connectors and sources again. Applies only
 * when the cached state was current before it (`before`, the cache key then); the result
 * is what readObserved() would return, in the same (rowid) order.
 */
function patchObserved(db: Db, before: string, ids: ReadonlySet<string>, paths: ReadonlySet<string>, digest: string): void {
  const hit = observedCache.get(db);
  if (hit?.key !== before) return;
  const { observed, cache } = hit.value;
  // Most of the registry changed (a first apply): reading it all again, if anyone asks, costs
  // no more than patching, and a one-shot `agent-hub apply` never asks.
  if (ids.size + paths.size > Math.max(100, observed.sources.length / 2)) {
    observedCache.delete(db);
    return;
  }
  const fresh = new Map((db.prepare(`SELECT ${CONNECTOR_COLUMNS} FROM connectors WHERE spec IS NOT NULL AND id IN (SELECT value FROM json_each(?))`)
    .all(JSON.stringify([...ids])) as Parameters<typeof toObservedConnector>[0][]).map((r) => [r.id, toObservedConnector(r)]));
  const connectors = observed.connectors.map((c) => fresh.get(c.id) ?? c);
  const known = new Set(observed.connectors.map((c) => c.id));
  for (const [id, c] of fresh) if (!known.has(id)) connectors.push(c);
  // Sources whose entry may change: those written or dropped, and those of the connectors touched.
  const recheck = new Set(paths);
  for (const s of observed.sources) if (s.connectorId !== null && ids.has(s.connectorId)) recheck.add(s.path);
  const rows = new Map((db.prepare(`SELECT ${SOURCE_COLUMNS} FROM sources WHERE path IN (SELECT value FROM json_each(?))`)
    .all(JSON.stringify([...recheck])) as RawSource[]).map((r) => [r.path, r]));
  const sources = observed.sources.filter((s) => !recheck.has(s.path) || rows.has(s.path)).map((s) => (rows.has(s.path) ? toObservedSource(rows.get(s.path) as RawSource) : s));
  const listed = new Set(observed.sources.map((s) => s.path));
  for (const [path, r] of rows) if (!listed.has(path)) sources.push(toObservedSource(r));
  const live = liveOf(connectors);
  const entries = new Map(cache.entries);
  for (const path of recheck) {
    const r = rows.get(path);
    const entry = r && entryOf(r, live);
    if (entry) entries.set(path, entry);
    else entries.delete(path);
  }
  observedCache.set(db, { key: observeKey(db), value: { observed: { connectors, sources }, cache: { digest, entries } } });
}

const VERSION_KEYS = 'spec,sourcePath,template,partials';

/** JSON.stringify(version), built around the spec's own text (a cold apply writes 5,000). */
function versionJson(version: ConnectorVersion): string {
  const plain = Object.keys(version).join(',') === VERSION_KEYS && typeof version.sourcePath === 'string' && typeof version.template === 'string';
  if (!plain) return JSON.stringify(version);
  return `{"spec":${JSON.stringify(version.spec)},"sourcePath":${JSON.stringify(version.sourcePath)},"template":${JSON.stringify(version.template)},"partials":${JSON.stringify(version.partials)}}`;
}

export interface ApplyOptions {
  now?: Date;
  deps: ReadonlyMap<string, string[]>;
  /** The repository-wide digest the files were loaded under. */
  digest: string;
  /** The git commit each created/updated connector came from, when its files are committed and clean. */
  commits?: ReadonlyMap<string, string>;
}

/** Applies a plan in one transaction: the registry moves from one consistent state to the next. */
export function applyPlan(db: Db, p: Plan, opts: ApplyOptions): void {
  const now = (opts.now ?? new Date()).toISOString();
  const upsert = db.prepare(`INSERT INTO connectors (id, name, description, schedule, prompt, config, enabled, created_at, updated_at,
      spec, spec_hash, source_path, git_commit, active, applied_at, last_error, last_error_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, NULL, NULL)
    ON CONFLICT(id) DO UPDATE SET name = excluded.name, description = excluded.description, schedule = excluded.schedule,
      prompt = excluded.prompt, config = excluded.config, enabled = excluded.enabled, updated_at = excluded.updated_at,
      spec = excluded.spec, spec_hash = excluded.spec_hash, source_path = excluded.source_path, git_commit = excluded.git_commit,
      active = 1, applied_at = excluded.applied_at, last_error = NULL, last_error_at = NULL`);
  // A version's text is kept once: the current one's in connectors.spec, its history row
  // holding '' until it is superseded, when the text moves into that row (migrations.ts, version 2).
  const version = db.prepare("INSERT OR IGNORE INTO connector_versions (connector_id, spec_hash, spec, source_path, git_commit, applied_at) VALUES (?, ?, '', ?, ?, ?)");
  const keepSuperseded = db.prepare(`UPDATE connector_versions SET spec = (SELECT spec FROM connectors WHERE id = ?)
    WHERE connector_id = ? AND spec = '' AND EXISTS (SELECT 1 FROM connectors WHERE id = ? AND spec IS NOT NULL)`);
  const deactivate = db.prepare('UPDATE connectors SET active = 0, updated_at = ?, last_error = NULL, last_error_at = NULL WHERE id = ?');
  const setError = db.prepare('UPDATE connectors SET last_error = ?, last_error_at = COALESCE(last_error_at, ?) WHERE id = ?');
  const clearError = db.prepare('UPDATE connectors SET last_error = NULL, last_error_at = NULL WHERE id = ?');
  const putSource = db.prepare(`INSERT INTO sources (path, source_hash, deps, connector_id, spec_hash, diagnostics, stat, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(path) DO UPDATE SET source_hash = excluded.source_hash, deps = excluded.deps, connector_id = excluded.connector_id,
      spec_hash = excluded.spec_hash, diagnostics = excluded.diagnostics, stat = excluded.stat, checked_at = excluded.checked_at`);
  const putDigest = db.prepare("INSERT INTO config (key, value) VALUES ('sources.digest', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  const dropSource = db.prepare('DELETE FROM sources WHERE path = ?');

  const write = (a: Action) => {
    switch (a.kind) {
      case 'create':
      case 'update': {
        const { spec } = a.version;
        const json = versionJson(a.version);
        const gitCommit = opts.commits?.get(a.id) ?? null;
        // The version this one replaces keeps its text (a first create has none to keep).
        if (a.kind === 'update' || a.reactivated) keepSuperseded.run(a.id, a.id, a.id);
        // Positional, in the order of the columns above (binding by name looked each one up).
        // prompt and config: written empty, the spec holds both (migrations.ts, version 1).
        upsert.run(a.id, spec.name ?? a.id, spec.description ?? null, spec.schedule ?? null, '', '{}', spec.enabled ? 1 : 0, now, now,
          json, a.file.specHash, a.file.path, gitCommit, now);
        version.run(a.id, a.file.specHash, a.file.path, gitCommit, now);
        return;
      }
      case 'unchanged':
        if (a.clearsError) clearError.run(a.id);
        return;
      case 'remove':
        deactivate.run(now, a.id);
        return;
      case 'invalid':
        if (a.id !== undefined && a.keepsLastGood) setError.run(JSON.stringify(a.file.diagnostics), now, a.id);
        return;
    }
  };

  const before = observeKey(db);
  registryChanged(db);
  db.transaction(() => {
    for (const a of p.actions) write(a);
    // The source cache is written for files the loader checked, so that unchanged ones are skipped next time.
    const ownerOf = new Map<string, string>();
    for (const a of p.actions) if (a.kind === 'invalid' && a.id !== undefined) ownerOf.set(a.file.path, a.id);
    for (const f of p.changedSources) {
      const owner = f.id ?? ownerOf.get(f.path) ?? null;
      // Only the file's own diagnostics: cross-file ones (duplicate ids) are worked out anew each time.
      const own = f.diagnostics.filter((d) => d.rule !== 'duplicate-id');
      putSource.run(f.path, f.sourceHash, JSON.stringify(opts.deps.get(f.path) ?? []), owner, f.specHash ?? null, JSON.stringify(own), f.statKey ?? null, now);
    }
    putDigest.run(opts.digest);
    for (const path of p.forgottenSources) dropSource.run(path);
  })();
  const ids = new Set(p.actions.filter((a) => a.kind !== 'unchanged' || a.clearsError).flatMap((a) => (a.id === undefined ? [] : [a.id])));
  patchObserved(db, before, ids, new Set([...p.changedSources.map((f) => f.path), ...p.forgottenSources]), opts.digest);
}

/** The files outside connectors/ that connectors read (a promptFile `../prompts/x.hbs`), for the daemon's watcher to follow. */
export function depsOutsideConnectors(db: Db): string[] {
  // After every applied pass of the daemon: a statement prepared once.
  const rows = stmt(db, "SELECT DISTINCT d.value AS dep FROM sources, json_each(sources.deps) AS d WHERE substr(d.value, 1, 11) <> 'connectors/'").all() as Array<{ dep: string }>;
  return rows.map((r) => r.dep);
}
