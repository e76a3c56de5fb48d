import { formatDiagnostic } from '../../core/diagnostic.js';
import { isInvalid } from '../../core/plan.js';
import { loadDesired } from '../../spec/load.js';
import { resolveInputs } from '../../template/inputs.js';
import { renderPrompt, RenderError } from '../../template/render.js';
import { UserError } from '../errors.js';
import { printJson } from '../output.js';
import { resolveRepo } from '../repo.js';
import type { GlobalOptions } from '../main.js';

interface RenderOptions extends GlobalOptions {
  input?: Record<string, string>;
}

/** `agent-hub render <id>`: the prompt a manual run would get now, from the files on disk. */
export async function run(id: string, opts: RenderOptions): Promise<void> {
  const root = resolveRepo(opts.repo);
  const desired = await loadDesired(root);
  const file = desired.files.find((f) => f.id === id);
  if (!file) {
    const ids = desired.files.flatMap((f) => (f.id ? [f.id] : []));
    throw new UserError(`no connector "${id}" in connectors/${ids.length ? ` (there are: ${ids.join(', ')})` : ''}`);
  }
  if (isInvalid(file) || !file.version) {
    throw new UserError(`${file.path} is invalid:\n${file.diagnostics.map(formatDiagnostic).join('\n')}`);
  }
  const inputs = resolveInputs(file.version.spec.inputs, opts.input ?? {}, true);
  if (!inputs.ok) throw new UserError(`bad inputs for ${id}:\n  ${inputs.errors.join('\n  ')}`, 2);
  let prompt: string;
  try {
    prompt = renderPrompt(file.version, inputs.values, { id: 'render', trigger: 'manual' });
  } catch (err) {
    if (err instanceof RenderError) throw new UserError(err.message);
    throw err;
  }
  if (opts.json) printJson({ id, inputs: inputs.values, prompt });
  else process.stdout.write(prompt.endsWith('\n') ? prompt : `${prompt}\n`);
}
