import { formatDiagnostic } from '../../core/diagnostic.js';
import { listConnectors, listInvalidSources, type ConnectorRow } from '../../registry/connectors.js';
import { describeSchedule, nextRun } from '../../schedule/describe.js';
import { shortHash } from '../../spec/hash.js';
import { color, printJson, table } from '../output.js';
import { openRegistryOrEmpty, resolveRepo } from '../repo.js';
import type { GlobalOptions } from '../main.js';
import type { Db } from '../../registry/db.js';

/** A connector's state in one word, the way `kubectl get` shows a pod's. */
export function stateOf(c: ConnectorRow): 'active' | 'disabled' | 'invalid' | 'removed' {
  if (!c.active) return 'removed';
  if (c.lastError) return 'invalid';
  return c.version.spec.enabled ? 'active' : 'disabled';
}

interface LastRun {
  status: string;
  at: string;
}

function lastRuns(db: Db): Map<string, LastRun> {
  const rows = db.prepare(`SELECT connector_id, status, COALESCE(finished_at, started_at, created_at) AS at FROM executions e
    WHERE created_at = (SELECT MAX(created_at) FROM executions WHERE connector_id = e.connector_id)`).all() as Array<{ connector_id: string; status: string; at: string }>;
  return new Map(rows.map((r) => [r.connector_id, { status: r.status, at: r.at }]));
}

/** The rows `status` prints, also its JSON form. */
export function statusRows(db: Db, now = new Date()) {
  const runs = lastRuns(db);
  return listConnectors(db).map((c) => {
    const { spec } = c.version;
    const state = stateOf(c);
    const next = state === 'active' || state === 'invalid' ? nextRun(spec.schedule, spec.timezone, now) : null;
    return {
      id: c.id, name: spec.name ?? c.id, state, schedule: spec.schedule ?? null, timezone: spec.timezone ?? 'UTC',
      scheduleText: describeSchedule(spec.schedule, spec.timezone), nextRun: next?.toISOString() ?? null,
      version: shortHash(c.specHash), gitCommit: c.gitCommit, sourcePath: c.sourcePath, appliedAt: c.appliedAt,
      lastRun: runs.get(c.id) ?? null, lastError: c.lastError,
    };
  });
}

/** `agent-hub status`: what the registry holds, read-only. */
export async function run(opts: GlobalOptions): Promise<void> {
  const root = resolveRepo(opts.repo);
  const db = openRegistryOrEmpty(root);
  try {
    const rows = statusRows(db);
    const invalidFiles = listInvalidSources(db).filter((s) => !rows.some((r) => r.id === s.connectorId && r.state !== 'removed'));
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
