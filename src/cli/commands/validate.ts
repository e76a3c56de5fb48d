import { compareDiagnostics, formatDiagnostic } from '../../core/diagnostic.js';
import { isInvalid } from '../../core/plan.js';
import { loadDesired } from '../../spec/load.js';
import { ExitError } from '../../core/errors.js';
import { color, printJson } from '../output.js';
import { resolveRepo } from '../repo.js';
import type { GlobalOptions } from '../options.js';

/** `agent-hub validate`: every file fully checked, every error listed, exit 1 on any. */
export async function run(opts: GlobalOptions): Promise<void> {
  const root = resolveRepo(opts.repo);
  const desired = await loadDesired(root);
  const diagnostics = [...desired.global, ...desired.files.flatMap((f) => f.diagnostics)].sort(compareDiagnostics);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const invalid = desired.files.filter(isInvalid).length;
  const valid = desired.files.length - invalid;
  if (opts.json) {
    printJson({ ok: errors.length === 0, files: desired.files.length, valid, invalid, diagnostics });
  } else {
    for (const d of diagnostics) process.stdout.write(`${formatDiagnostic(d)}\n`);
    const summary = `${desired.files.length} connector file${desired.files.length === 1 ? '' : 's'}: ${valid} valid, ${invalid} invalid`;
    if (desired.files.length === 0) process.stdout.write('no connector files in connectors/ (add connectors/<id>.yaml)\n');
    else process.stdout.write(`${errors.length ? color.red(summary) : color.green(summary)}${errors.length ? `, ${errors.length} error${errors.length === 1 ? '' : 's'}` : ''}\n`);
  }
  if (errors.length) throw new ExitError(1);
}
