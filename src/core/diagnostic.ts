import type { Diagnostic } from './types.js';

/** `file:line:col: error: path: message` followed by an indented hint, as compilers print. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.file, d.line, d.line !== undefined ? d.column : undefined].filter((p) => p !== undefined).join(':');
  const field = d.path ? `${d.path}: ` : '';
  const head = `${where}: ${d.severity}: ${field}${d.message}`;
  return d.hint ? `${head}\n    hint: ${d.hint}` : head;
}

/** Orders diagnostics by file, then position, so output is stable. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}
