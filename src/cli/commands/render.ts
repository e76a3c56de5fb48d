import { formatDiagnostic } from '../../core/diagnostic.js';
import { isInvalid } from '../../core/plan.js';
import { existsSync, readFileSync } from 'node:fs';
import { sampleEvent } from '../../events/sample.js';
import type { RunEvent } from '../../core/events.js';
import { loadDesired, type SourceCache } from '../../spec/load.js';
import { dbPath, openDb } from '../../registry/db.js';
import { observe } from '../../registry/connectors.js';
import { resolveInputs } from '../../template/inputs.js';
import { renderPrompt } from '../../template/render.js';
import { UserError } from '../../core/errors.js';
import { printJson } from '../output.js';
import { resolveRepo } from '../repo-root.js';
import type { GlobalOptions } from '../options.js';

interface RenderOptions extends GlobalOptions {
  input?: Record<string, string>;
  /** A JSON file with an event payload (a saved webhook body): the template's `event`. */
  event?: string;
  eventName?: string;
}

/** The event of `--event file.json`, as a delivery would give it; says on stderr when the connector would not take it. */
function eventFrom(file: string, spec: Parameters<typeof sampleEvent>[0], name: string | undefined): RunEvent {
  let payload: unknown;
  try {
    payload = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UserError(`--event ${file}: ${(err as Error).message}`, 2);
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new UserError(`--event ${file}: the payload must be a JSON object`, 2);
  const { event, ignored } = sampleEvent(spec, payload as Record<string, unknown>, name);
  if (ignored) process.stderr.write(`note: this ${event.name} event would not start ${spec.id}: ${ignored}\n`);
  return event;
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
  const event = opts.event ? eventFrom(opts.event, file.version.spec, opts.eventName) : undefined;
  const prompt = renderPrompt(file.version, inputs.values, { id: 'render', trigger: event ? 'event' : 'manual', ...(event ? { event } : {}) });
  if (opts.json) printJson({ id, inputs: inputs.values, prompt });
  else process.stdout.write(prompt.endsWith('\n') ? prompt : `${prompt}\n`);
}
