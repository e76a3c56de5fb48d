import { formatDiagnostic } from '../../core/diagnostic.js';
import { connectorStatuses, orphanInvalidFiles } from '../../registry/status.js';
import { color, printJson, table } from '../output.js';
import { openRegistryOrEmpty, resolveRepo } from '../repo.js';
import type { GlobalOptions } from '../main.js';

/** `agent-hub status`: what the registry holds, read-only. */
export async function run(opts: GlobalOptions): Promise<void> {
  const root = resolveRepo(opts.repo);
  const db = openRegistryOrEmpty(root);
  try {
    const rows = connectorStatuses(db);
    const invalidFiles = orphanInvalidFiles(db, rows);
    if (opts.json) {
      printJson({ connectors: rows, invalidFiles });
      return;
    }
    if (rows.length === 0 && invalidFiles.length === 0) {
      process.stdout.write('no connectors applied yet: run agent-hub apply\n');
      return;
    }
    const paint = { active: color.green, disabled: color.dim, invalid: color.red, removed: color.dim } as const;
    process.stdout.write(`${table(
      ['ID', 'STATE', 'SCHEDULE', 'NEXT RUN', 'LAST RUN', 'VERSION'],
      rows.map((r) => [r.id, paint[r.state](r.state), r.scheduleText, r.nextRun ? r.nextRun.replace('T', ' ').replace(/:\d\d\.\d+Z$/, 'Z') : '-', r.lastRun ? `${r.lastRun.status} ${r.lastRun.at}` : '-', `${r.version}${r.gitCommit ? ` @${r.gitCommit.slice(0, 7)}` : ' (uncommitted)'}`]),
    )}\n`);
    for (const r of rows.filter((x) => x.lastError)) {
      process.stdout.write(`\n${color.red(`${r.id}: the file is invalid; version ${r.version} stays active`)}\n`);
      for (const d of r.lastError ?? []) process.stdout.write(`  ${formatDiagnostic(d).replace(/\n/g, '\n  ')}\n`);
    }
    for (const s of invalidFiles) {
      process.stdout.write(`\n${color.red(`${s.path}: invalid, not applied`)}\n`);
      for (const d of s.diagnostics.filter((x) => x.severity === 'error')) process.stdout.write(`  ${formatDiagnostic(d).replace(/\n/g, '\n  ')}\n`);
    }
  } finally {
    db.close();
  }
}
