import { formatDiagnostic } from '../../core/diagnostic.js';
import type { Diagnostic } from '../../core/types.js';
import { color, printJson, table } from '../output.js';
import { FROM_GIT_NOTE, openRunRegistry, resolveRepo } from '../repo.js';
import type { StateCommit } from '../../gitstate/last-commit.js';
import type { GlobalOptions } from '../options.js';
import type { SkipSummary } from '../../registry/skips.js';
import { statusReport, type ConnectorReport, type StatusReport } from '../status-data.js';
import { queueLines, readQueueStatus } from '../../execute/queue/status.js';
import { loadHubConfig } from '../../spec/hub-config.js';
import { describePause, listPauses } from '../../registry/pauses.js';

/**
 * `agent-hub status`: what was applied, how the files compare with it now (synced, out of
 * sync, invalid), whether a hub runs, and the state in git. Reads only.
 */
export async function run(opts: GlobalOptions): Promise<void> {
  const root = resolveRepo(opts.repo);
  const { db, fromGit } = await openRunRegistry(root);
  if (fromGit && !opts.json) process.stderr.write(FROM_GIT_NOTE);
  try {
    const config = loadHubConfig(root).config; // a broken hub.yaml shows under blocking; status still shows what it can
    const report = await statusReport(root, db, config);
    // With workers (hub.yaml queue: bullmq): the queue and its workers, read from Redis.
    const queue = await readQueueStatus(config, process.env);
    // A runtime pause is a drift from git: the file says the connector runs.
    const pauses = listPauses(db);
    if (opts.json) {
      printJson({ ...report, connectors: report.connectors.map((c) => ({ ...c, paused: pauses.get(c.id) ?? null })), ...(queue ? { queue } : {}) });
      return;
    }
    const pauseLines = [...pauses.values()].map((p) => `\n${color.yellow(`${p.connectorId}: ${describePause(p)}; a drift from git`)}\n`).join('');
    process.stdout.write(`${render(report)}${pauseLines}${queue ? `${queueLines(queue).join('\n')}\n` : ''}`);
  } finally {
    db.close();
  }
}

const indent = (ds: readonly Diagnostic[]) => ds.map((d) => `  ${formatDiagnostic(d).replace(/\n/g, '\n  ')}\n`).join('');

function render(s: StatusReport): string {
  let out = `${hubLine(s)}\n`;
  for (const d of s.blocking) out += color.red(`${formatDiagnostic(d)}\n`);
  if (s.blocking.length) out += color.red('nothing can be applied until this is fixed\n');
  if (s.connectors.length === 0 && s.newFiles.length === 0) return `${out}\nno connectors applied yet: run agent-hub apply\n`;
  const paint = { active: color.green, disabled: color.dim, invalid: color.red, removed: color.dim } as const;
  const syncPaint = { synced: color.green, 'out-of-sync': color.yellow, invalid: color.red } as const;
  const when = (iso: string) => iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z');
  if (s.connectors.length) out += `\n${table(
    ['ID', 'STATE', 'SYNC', 'SCHEDULE', 'NEXT RUN', 'LAST RUN', 'SKIPPED', 'VERSION'],
    s.connectors.map((r) => [r.id, paint[r.state](r.state), syncPaint[r.sync.status](r.sync.status.replace(/-/g, ' ')), r.scheduleText,
      r.nextRun ? when(r.nextRun) : '-', r.lastRun ? `${r.lastRun.status} ${when(r.lastRun.at)}` : '-',
      r.skipped.last ? color.yellow(`${r.skipped.count} (${r.skipped.last.reason})`) : '-', `${r.version}${r.commit ? ` @${r.commit.slice(0, 7)}` : ' (uncommitted)'}`]),
  )}\n`;
  for (const r of s.connectors.filter((x) => x.skipped.last)) out += `\n${color.yellow(skipLine(r.id, r.skipped))}\n`;
  const fix = s.hub.running ? 'the running hub applies it within seconds' : 'agent-hub apply applies it';
  for (const r of s.connectors.filter((x) => x.sync.status !== 'synced')) out += `\n${driftLines(r, fix)}`;
  for (const f of s.newFiles) {
    out += f.errors.length
      ? `\n${color.red(`${f.path}: new file, invalid: not applied`)}\n${indent(f.errors)}`
      : `\n${color.yellow(`${f.path}: new file, not applied yet (connector ${f.id}, version ${f.version}); ${fix}`)}\n`;
  }
  out += `\n${stateLine(s.git.lastCommit, s.git.pending, s.hub.running)}\n`;
  const deferred = s.git.deferred;
  if (deferred) out += `${color.yellow(`state commits ${deferred.paused ? 'paused' : 'put off'}: ${deferred.reason} (since ${deferred.since})`)}\n`;
  return out;
}

/** Why a connector is out of sync or invalid, and what applies the file. */
function driftLines(r: ConnectorReport, fix: string): string {
  const d = r.sync;
  if (d.status === 'invalid') return `${color.red(`${r.id}: ${d.file} is invalid; version ${r.version} stays active`)}\n${indent(d.errors ?? [])}`;
  const why = {
    changed: `${d.file} changed since the last apply (file version ${d.fileVersion ?? '?'}, applied ${r.version})`,
    moved: `now read from ${d.file} (file version ${d.fileVersion ?? '?'}), applied from ${r.sourcePath}`,
    removed: `${r.sourcePath} was removed; the connector stays ${r.state} until the removal is applied`,
    restored: `${d.file} is back (file version ${d.fileVersion ?? '?'}); the connector stays removed until it is applied`,
    fixed: `${d.file} no longer has the error shown; version ${r.version} is active`,
  }[d.reason ?? 'changed'];
  return `${color.yellow(`${r.id}: out of sync: ${why}; ${fix}`)}\n`;
}

/** `hub: running (pid 4242) at http://127.0.0.1:7420/`, or that none is and what that means for next runs. */
function hubLine(s: StatusReport): string {
  const h = s.hub;
  if (!h.running) {
    const stale = h.staleLock ? ` (a stale lock ${h.lock} is left: ${h.staleLock}; the next start takes it over)` : '';
    const next = s.connectors.some((c) => c.nextRun) ? '; next-run times apply only while a hub runs (agent-hub start)' : '';
    return color.dim(`hub: not running on this repository${stale}${next}`);
  }
  const where = h.url ? ` at ${h.url}` : '';
  const line = `hub: running (pid ${h.pid}, lock ${h.lock})${where}`;
  if (h.status !== 'degraded') return color.green(line);
  const since = h.storage?.since ? ` since ${h.storage.since}` : '';
  const n = h.storage?.unrecordedRuns ?? 0;
  const kept = n ? `; ${n} finished run${n === 1 ? '' : 's'} kept in memory until ${n === 1 ? 'it' : 'they'} can be recorded` : '';
  return color.red(`${line}: degraded${since}: ${(h.reasons ?? []).join('; ')}${kept}`);
}

/** `nightly: 3 scheduled runs skipped (overlap 2, budget 1); the last, for the slot of …, at …: overlap: …`. */
function skipLine(id: string, s: SkipSummary): string {
  const reasons = Object.entries(s.byReason).map(([reason, n]) => `${reason} ${n}`).join(', ');
  const last = s.last as NonNullable<SkipSummary['last']>;
  return `${id}: ${s.count} scheduled run${s.count === 1 ? '' : 's'} skipped (${reasons}); the last${last.slot ? `, for the slot of ${last.slot},` : ''} at ${last.at}: ${last.reason}: ${last.message}`;
}

/** `state: last commit 369cfa8 on main, 2026-11-25T15:05:01Z (state: 1 run …); 2 files waiting (…)`. */
function stateLine(last: StateCommit | null, pending: number, hubRunning: boolean): string {
  const commit = last ? `last commit ${last.sha.slice(0, 7)} on ${last.ref}, ${last.at} (${last.subject})` : 'not committed yet';
  const who = hubRunning ? 'the running hub commits them at its interval' : 'a hub commits them at its interval once started';
  const waiting = pending ? color.yellow(`; ${pending} file${pending === 1 ? '' : 's'} waiting (${who}; agent-hub snapshot commits them now)`) : '; nothing waiting';
  return `state: ${commit}${waiting}`;
}
