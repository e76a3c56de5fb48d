import { formatDiagnostic } from '../../core/diagnostic.js';
import { connectorStatuses, orphanInvalidFiles } from '../../registry/status.js';
import { color, printJson, table } from '../output.js';
import { FROM_GIT_NOTE, openRunRegistry, resolveRepo } from '../repo.js';
import { loadHubConfig } from '../../spec/hub-config.js';
import { lastStateCommit, type StateCommit } from '../../gitstate/last-commit.js';
import { stateTarget } from '../../gitstate/state.js';
import { commitDeferral, pendingCount } from '../../registry/git-outbox.js';
import type { GlobalOptions } from '../options.js';
import { readDaemonHealth, type DaemonHealth } from '../../daemon/health-file.js';
import type { SkipSummary } from '../../registry/skips.js';
import { describePause, listPauses } from '../../registry/pauses.js';

/** `agent-hub status`: what the registry holds, read-only. */
export async function run(opts: GlobalOptions): Promise<void> {
  const root = resolveRepo(opts.repo);
  const { db, fromGit } = await openRunRegistry(root);
  if (fromGit && !opts.json) process.stderr.write(FROM_GIT_NOTE);
  try {
    const rows = connectorStatuses(db);
    const invalidFiles = orphanInvalidFiles(db, rows);
    // A broken hub.yaml is validate's to report; status still shows what it can.
    const lastCommit = await lastStateCommit(root, stateTarget(root, loadHubConfig(root).config));
    const pending = pendingCount(db);
    // The running daemon's own word on its health (a full disk shows here though nothing can be written).
    const hub = readDaemonHealth(root) ?? null;
    const deferred = commitDeferral(db);
    const pauses = listPauses(db);
    if (opts.json) {
      printJson({ connectors: rows.map((r) => ({ ...r, paused: pauses.get(r.id) ?? null })), invalidFiles, git: { pending, lastCommit, ...(deferred ? { deferred } : {}) }, hub });
      return;
    }
    if (hub?.status === 'degraded') process.stdout.write(`${hubLine(hub)}\n\n`);
    if (rows.length === 0 && invalidFiles.length === 0) {
      process.stdout.write('no connectors applied yet: run agent-hub apply\n');
      return;
    }
    const paint = { active: color.green, disabled: color.dim, invalid: color.red, removed: color.dim } as const;
    process.stdout.write(`${table(
      ['ID', 'STATE', 'SCHEDULE', 'NEXT RUN', 'LAST RUN', 'SKIPPED', 'VERSION'],
      rows.map((r) => [r.id, paint[r.state](r.state), r.scheduleText, r.nextRun ? r.nextRun.replace('T', ' ').replace(/:\d\d\.\d+Z$/, 'Z') : '-', r.lastRun ? `${r.lastRun.status} ${r.lastRun.at}` : '-',
        r.skipped.last ? color.yellow(`${r.skipped.count} (${r.skipped.last.reason})`) : '-', `${r.version}${r.gitCommit ? ` @${r.gitCommit.slice(0, 7)}` : ' (uncommitted)'}`]),
    )}\n`);
    for (const r of rows.filter((x) => x.skipped.last)) process.stdout.write(`\n${color.yellow(skipLine(r.id, r.skipped))}\n`);
    // A runtime pause is a drift from git: the file says the connector runs.
    for (const p of pauses.values()) process.stdout.write(`\n${color.yellow(`${p.connectorId}: ${describePause(p)}; a drift from git`)}\n`);
    for (const r of rows.filter((x) => x.lastError)) {
      process.stdout.write(`\n${color.red(`${r.id}: the file is invalid; version ${r.version} stays active`)}\n`);
      for (const d of r.lastError ?? []) process.stdout.write(`  ${formatDiagnostic(d).replace(/\n/g, '\n  ')}\n`);
    }
    for (const s of invalidFiles) {
      process.stdout.write(`\n${color.red(`${s.path}: invalid, not applied`)}\n`);
      for (const d of s.diagnostics.filter((x) => x.severity === 'error')) process.stdout.write(`  ${formatDiagnostic(d).replace(/\n/g, '\n  ')}\n`);
    }
    process.stdout.write(`\n${stateLine(lastCommit, pending)}\n`);
    if (deferred) process.stdout.write(`${color.yellow(`state commits ${deferred.paused ? 'paused' : 'put off'}: ${deferred.reason} (since ${deferred.since})`)}\n`);
  } finally {
    db.close();
  }
}

/** `hub (pid 4242): degraded since …: disk full: /srv/hub/.agent-hub/hub.db; 1 finished run kept in memory`. */
function hubLine(h: DaemonHealth): string {
  const since = h.storage?.since ? ` since ${h.storage.since}` : '';
  const kept = h.storage?.unrecordedRuns ? `; ${h.storage.unrecordedRuns} finished run${h.storage.unrecordedRuns === 1 ? '' : 's'} kept in memory until ${h.storage.unrecordedRuns === 1 ? 'it' : 'they'} can be recorded` : '';
  return color.red(`hub (pid ${h.pid}): degraded${since}: ${h.reasons.join('; ')}${kept}`);
}

/** `nightly: 3 scheduled runs skipped (overlap 2, budget 1); the last, for the slot of …, at …: overlap: …`. */
function skipLine(id: string, s: SkipSummary): string {
  const reasons = Object.entries(s.byReason).map(([reason, n]) => `${reason} ${n}`).join(', ');
  const last = s.last as NonNullable<SkipSummary['last']>;
  return `${id}: ${s.count} scheduled run${s.count === 1 ? '' : 's'} skipped (${reasons}); the last${last.slot ? `, for the slot of ${last.slot},` : ''} at ${last.at}: ${last.reason}: ${last.message}`;
}

/** `state: last commit 369cfa8 on main, 2026-11-25T15:05:01Z (state: 1 run …); 2 files waiting (…)`. */
function stateLine(last: StateCommit | null, pending: number): string {
  const commit = last ? `last commit ${last.sha.slice(0, 7)} on ${last.ref}, ${last.at} (${last.subject})` : 'not committed yet';
  const waiting = pending ? color.yellow(`; ${pending} file${pending === 1 ? '' : 's'} waiting (the running hub commits them at its interval; agent-hub snapshot commits them now)`) : '; nothing waiting';
  return `state: ${commit}${waiting}`;
}
