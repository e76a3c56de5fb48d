import { plan as makePlan, type Action } from '../core/plan.js';
import type { Diagnostic } from '../core/types.js';
import type { Db } from '../registry/db.js';
import { observe } from '../registry/connectors.js';
import { loadDesired } from '../spec/load.js';
import { shortHash } from '../spec/hash.js';

/** Argo CD's words: the registry matches the files, or it does not, or the file cannot be applied. */
export type SyncState = 'synced' | 'out-of-sync' | 'invalid';

/** Why a connector is out of sync with its file. */
export type DriftReason = 'changed' | 'moved' | 'removed' | 'restored' | 'fixed';

/** How one applied connector compares with the files on disk now. */
export interface ConnectorDrift {
  status: SyncState;
  reason?: DriftReason;
  /** The file it is read from now (differs from the applied one when it moved). */
  file?: string;
  /** The version the file holds now, when it differs from the applied one and is valid. */
  fileVersion?: string;
  /** The file's current errors (invalid: the applied version stays active). */
  errors?: Diagnostic[];
  /** Files this connector's version is read from besides its own (prompt file). */
  deps: string[];
}

/** A file no applied connector comes from: new since the last apply. */
export interface NewFile {
  path: string;
  id: string | null;
  version: string | null;
  errors: Diagnostic[];
}

export interface Drift {
  connectors: Map<string, ConnectorDrift>;
  newFiles: NewFile[];
  /** Errors that stop any apply: hub.yaml, partials. */
  blocking: Diagnostic[];
}

const errorsOf = (ds: readonly Diagnostic[]) => ds.filter((d) => d.severity === 'error');

/**
 * What `apply` would do now, as a status: the files read with the registry's source cache
 * (unchanged files are not parsed again) and planned against the registry, changing
 * nothing. The same plan `apply` makes, so "synced" means `apply` would be a no-op.
 */
export async function readDrift(root: string, db: Db): Promise<Drift> {
  const { observed, cache } = observe(db);
  const desired = await loadDesired(root, cache);
  const p = makePlan(desired.files, observed);
  const connectors = new Map<string, ConnectorDrift>();
  const newFiles: NewFile[] = [];
  const depsOf = (file: string) => desired.deps.get(file) ?? [];
  for (const a of p.actions) {
    const entry = driftOf(a, depsOf);
    if (entry === 'new') newFiles.push(newFile(a));
    else if (entry) connectors.set(entryId(a), entry);
  }
  return { connectors, newFiles, blocking: errorsOf(desired.global) };
}

const entryId = (a: Action): string => (a.kind === 'invalid' ? (a.id as string) : a.id);

function newFile(a: Action): NewFile {
  if (a.kind === 'create') return { path: a.file.path, id: a.id, version: shortHash(a.file.specHash ?? ''), errors: [] };
  const file = a.kind === 'invalid' ? a.file : undefined;
  return { path: file?.path ?? '', id: file?.id ?? null, version: null, errors: errorsOf(file?.diagnostics ?? []) };
}

function driftOf(a: Action, depsOf: (file: string) => string[]): ConnectorDrift | 'new' | undefined {
  switch (a.kind) {
    case 'unchanged':
      return a.clearsError
        ? { status: 'out-of-sync', reason: 'fixed', file: a.file.path, deps: depsOf(a.file.path) }
        : { status: 'synced', file: a.file.path, deps: depsOf(a.file.path) };
    case 'update':
      return { status: 'out-of-sync', reason: a.moved ? 'moved' : 'changed', file: a.file.path, fileVersion: shortHash(a.file.specHash ?? ''), deps: depsOf(a.file.path) };
    case 'create':
      return a.reactivated ? { status: 'out-of-sync', reason: 'restored', file: a.file.path, fileVersion: shortHash(a.file.specHash ?? ''), deps: depsOf(a.file.path) } : 'new';
    case 'remove':
      return { status: 'out-of-sync', reason: 'removed', deps: [] };
    case 'invalid':
      if (a.id === undefined || !a.keepsLastGood) return 'new';
      return { status: 'invalid', file: a.file.path, errors: errorsOf(a.file.diagnostics), deps: depsOf(a.file.path) };
  }
}
