import type { ConnectorVersion, Diagnostic } from './types.js';
import { InternalError } from './errors.js';

/** One connector file as the loader found it: the desired state. */
export interface DesiredFile {
  path: string;
  sourceHash: string;
  /** Size, mtime and inode of the file and its dependencies, when the loader took them. */
  statKey?: string;
  /** The id the file declares (or its stem), when the file got far enough to tell. */
  id?: string;
  /** Set when the file is valid. */
  specHash?: string;
  /** The full version; absent when the loader skipped an unchanged file. */
  version?: ConnectorVersion;
  /** Errors make the file invalid; warnings do not. */
  diagnostics: Diagnostic[];
}

/** A registry entry: the observed state. */
export interface ObservedConnector {
  id: string;
  specHash: string;
  sourcePath: string;
  active: boolean;
  hasError: boolean;
}

export interface ObservedSource {
  path: string;
  sourceHash: string;
  statKey?: string | null;
  connectorId: string | null;
}

export interface Observed {
  connectors: ObservedConnector[];
  sources: ObservedSource[];
}

export type Action =
  | { kind: 'create'; id: string; file: DesiredFile; version: ConnectorVersion; reactivated: boolean }
  | { kind: 'update'; id: string; file: DesiredFile; version: ConnectorVersion; previousHash: string; moved: boolean }
  | { kind: 'unchanged'; id: string; file: DesiredFile; clearsError: boolean }
  | { kind: 'remove'; id: string; sourcePath: string }
  | { kind: 'invalid'; file: DesiredFile; id?: string; keepsLastGood: boolean };

export interface Plan {
  actions: Action[];
  /** Files whose content differs from what the registry last saw (new ones included). */
  changedSources: DesiredFile[];
  /** Source rows whose files are gone. */
  forgottenSources: string[];
  counts: Record<Action['kind'], number>;
}

/** True when the file has at least one error (warnings alone keep it valid). */
export function isInvalid(file: DesiredFile): boolean {
  return file.diagnostics.some((d) => d.severity === 'error');
}

/**
 * Decides what applying `desired` to `observed` does, by content hash. Pure: the same
 * inputs give the same plan, and a plan of only `unchanged` means applying is a no-op.
 */
export function plan(desired: DesiredFile[], observed: Observed): Plan {
  const connectors = new Map<string, ObservedConnector>();
  for (const c of observed.connectors) connectors.set(c.id, c);
  const seen = new Map<string, ObservedSource>();
  for (const s of observed.sources) seen.set(s.path, s);
  const claimed = new Set<string>();
  const actions: Action[] = [];

  for (const file of byPath(desired)) {
    if (isInvalid(file)) {
      const id = file.id ?? seen.get(file.path)?.connectorId ?? undefined;
      const current = id === undefined ? undefined : connectors.get(id);
      if (id !== undefined && current?.active) claimed.add(id);
      actions.push({ kind: 'invalid', file, ...(id === undefined ? {} : { id }), keepsLastGood: current?.active === true });
      continue;
    }
    const id = file.id as string;
    claimed.add(id);
    const current = connectors.get(id);
    if (current?.active && current.specHash === file.specHash && current.sourcePath === file.path) {
      actions.push({ kind: 'unchanged', id, file, clearsError: current.hasError });
      continue;
    }
    if (!file.version) throw new InternalError(`${file.path} changed but was not loaded`);
    if (current?.active) {
      actions.push({ kind: 'update', id, file, version: file.version, previousHash: current.specHash, moved: current.sourcePath !== file.path });
    } else {
      actions.push({ kind: 'create', id, file, version: file.version, reactivated: current !== undefined });
    }
  }

  for (const c of observed.connectors) {
    if (c.active && !claimed.has(c.id)) actions.push({ kind: 'remove', id: c.id, sourcePath: c.sourcePath });
  }

  const changedSources = desired.filter((f) => {
    const s = seen.get(f.path);
    return s?.sourceHash !== f.sourceHash || (f.statKey !== undefined && s.statKey !== f.statKey);
  });
  const present = new Set(desired.map((f) => f.path));
  const forgottenSources = observed.sources.filter((s) => !present.has(s.path)).map((s) => s.path);
  const counts = { create: 0, update: 0, unchanged: 0, remove: 0, invalid: 0 };
  for (const a of actions) counts[a.kind]++;
  return { actions, changedSources, forgottenSources, counts };
}

/** The files in path order; the loader lists them so already, which is checked rather than sorted again. */
function byPath(files: DesiredFile[]): DesiredFile[] {
  for (let i = 1; i < files.length; i++) {
    if ((files[i - 1] as DesiredFile).path > (files[i] as DesiredFile).path) return [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  return files;
}

/** True when applying the plan would write nothing. */
export function isNoop(p: Plan): boolean {
  return (
    p.changedSources.length === 0 &&
    p.forgottenSources.length === 0 &&
    p.actions.every((a) => a.kind === 'unchanged' && !a.clearsError)
  );
}

/** "1 to create, 2 to change, 0 to remove, 5 unchanged, 1 invalid". */
export function planSummary(p: Plan): string {
  const c = p.counts;
  return `${c.create} to create, ${c.update} to change, ${c.remove} to remove, ${c.unchanged} unchanged, ${c.invalid} invalid`;
}
