import { formatDiagnostic } from '../../core/diagnostic.js';
import { isInvalid } from '../../core/plan.js';
import { existsSync } from 'node:fs';
import { loadDesired, type SourceCache } from '../../spec/load.js';
import { dbPath, openDb } from '../../registry/db.js';
import { observe } from '../../registry/connectors.js';
import { resolveInputs } from '../../template/inputs.js';
import { renderPrompt } from '../../template/render.js';
import { UserError } from '../../core/errors.js';
import { printJson } from '../output.js';
import { resolveRepo } from '../repo.js';
import type { GlobalOptions } from '../options.js';

interface RenderOptions extends GlobalOptions {
  input?: Record<string, string>;
}

/**
 * What the registry remembers of the files, read-only, so that only changed files are
 * parsed; nothing when there is no (or an unreadable) database.
 */
function registryCache(root: string): SourceCache | undefined {
  if (!existsSync(dbPath(root))) return undefined;
  let db;
  try {
    db = openDb(dbPath(root), { readonly: true });
    return observe(db).cache;
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

/** `agent-hub render <id>`: the prompt a manual run would get now, from the files on disk. */
export async function run(id: string, opts: RenderOptions): Promise<void> {
  const root = resolveRepo(opts.repo);
  const cache = registryCache(root);
  let desired = await loadDesired(root, cache);
  let file = desired.files.find((f) => f.id === id);
  if (cache && file && !file.version && !isInvalid(file)) {
    // Unchanged since the last apply, so not parsed: check just this one file now.
    const entries = new Map(cache.entries);
    entries.delete(file.path);
    desired = await loadDesired(root, { digest: cache.digest, entries });
    file = desired.files.find((f) => f.id === id);
  }
  if (!file) {
    const ids = desired.files.flatMap((f) => (f.id ? [f.id] : []));
    throw new UserError(`no connector "${id}" in connectors/${ids.length ? ` (there are: ${ids.join(', ')})` : ''}`);
  }
  if (isInvalid(file) || !file.version) {
    throw new UserError(`${file.path} is invalid:\n${file.diagnostics.map(formatDiagnostic).join('\n')}`);
  }
  const inputs = resolveInputs(file.version.spec.inputs, opts.input ?? {}, true);
  if (!inputs.ok) throw new UserError(`bad inputs for ${id}:\n  ${inputs.errors.join('\n  ')}`, 2);
  const prompt = renderPrompt(file.version, inputs.values, { id: 'render', trigger: 'manual' });
  if (opts.json) printJson({ id, inputs: inputs.values, prompt });
  else process.stdout.write(prompt.endsWith('\n') ? prompt : `${prompt}\n`);
}
