import { compareDiagnostics, formatDiagnostic } from '../../core/diagnostic.js';
import { isInvalid } from '../../core/plan.js';
import { loadDesired, loadPartials } from '../../spec/load.js';
import { analyzeTemplate } from '../../template/analyze.js';
import type { Diagnostic } from '../../core/types.js';
import { ExitError } from '../../core/errors.js';
import { color, printJson } from '../output.js';
import { resolveRepo } from '../repo-root.js';
import type { GlobalOptions } from '../options.js';

/** `agent-hub validate`: every file fully checked, every error listed, exit 1 on any. */
export async function run(opts: GlobalOptions): Promise<void> {
  const root = resolveRepo(opts.repo);
  const desired = await loadDesired(root);
  const found = [...desired.global, ...desired.files.flatMap((f) => f.diagnostics)];
  const diagnostics = [...found, ...unusedPartialProblems(root, found)].sort(compareDiagnostics);
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

/**
 * Partials are checked through the connectors that include them; one nobody includes yet
 * would break the first connector that does. Its syntax is checked here, as a warning
 * (it breaks nothing that runs), unless a connector's check already reported the file.
 */
function unusedPartialProblems(root: string, found: readonly Diagnostic[]): Diagnostic[] {
  const reported = new Set(found.map((d) => d.file));
  const out: Diagnostic[] = [];
  for (const partial of loadPartials(root).partials.values()) {
    if (reported.has(partial.file)) continue;
    const analysis = analyzeTemplate(partial.source);
    if (analysis.ok) continue;
    out.push({
      file: partial.file, line: analysis.line, column: analysis.column, path: '', severity: 'warning', rule: 'template-syntax',
      message: `template syntax error: ${analysis.message}`, hint: 'no connector uses this partial yet; fix it before one does',
    });
  }
  return out;
}
