import type { QueueView } from '../execute/backend.js';
import type { Execution, ExecutionStatus } from '../registry/executions.js';
import type { GitHealth } from '../gitstate/health.js';
import { formatDiagnostic } from '../core/diagnostic.js';
import { html, Raw } from './html.js';
import { money, page, secs, when } from './dashboard-layout.js';
import type { SkipSummary } from '../registry/skips.js';
import type { HealthReport, HubView } from './view.js';


function runRow(e: Execution): Raw {
  return html`<tr data-run="${e.id}"><td><a href="/runs/${e.id}">${e.id}</a></td><td>${e.connectorId}</td><td class="${e.status}">${e.status}${e.errorKind ? ` (${e.errorKind})` : ''}</td>
<td>${e.trigger}${e.attempt > 1 ? ` #${e.attempt}` : ''}</td><td>${when(e.startedAt ?? e.createdAt)}</td><td>${secs(e.durationMs)}</td><td>${money(e.costUsd)}</td></tr>`;
}

/** How many scheduled slots did not run, and why the last one did not. */
function skipCell(s: SkipSummary): Raw | string {
  if (!s.last) return '—';
  const reasons = Object.entries(s.byReason).map(([reason, n]) => `${reason} ${n}`).join(', ');
  return html`<span class="pending">${s.count}</span> (${reasons})<br><small>last ${when(s.last.at)}: ${s.last.message}</small>`;
}

/** One line on the git state; a red box per operation that keeps failing. */
function gitBanner(g: GitHealth): Raw {
  const failing = Object.entries(g.failing);
  return html`<p id="git">State in git: ${g.pending} file${g.pending === 1 ? '' : 's'} waiting; last commit ${g.lastCommitAt ? when(g.lastCommitAt) : '— (none since start)'}${g.lastPushAt ? html`; last push ${when(g.lastPushAt)}` : ''}.</p>
${failing.map(([op, f]) => html`<pre class="err" data-failing="${op}">git ${op} failing since ${when(f.since)}: ${f.error}</pre>`)}`;
}

/** A red box while the hub cannot write: the reason, since when, and what waits in memory. */
function storageBanner(s: HealthReport['storage']): Raw {
  if (!s) return html``;
  const kept = s.unrecordedRuns ? `; ${s.unrecordedRuns} finished run${s.unrecordedRuns === 1 ? '' : 's'} kept in memory until ${s.unrecordedRuns === 1 ? 'it' : 'they'} can be recorded` : '';
  return html`<pre class="err" id="degraded">Degraded since ${when(s.since)}: ${s.reason}${kept}. The hub keeps running and retries.</pre>`;
}

const PAGE = 50;
const COST_DAYS = 7;

/** Dollars per connector and day over the last week, with each connector's and each day's total. */
function costTable(view: HubView, ids: readonly string[]): Raw {
  const costs = view.costs(COST_DAYS);
  const now = Date.now();
  const days = Array.from({ length: COST_DAYS }, (_, i) => new Date(now - (COST_DAYS - 1 - i) * 86_400_000).toISOString().slice(0, 10));
  // Cents for real spending; four decimals so a cheap day does not read $0.00.
  const cell = (n: number) => (n ? `$${n.toFixed(n >= 1 ? 2 : 4)}` : '');
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const rows = ids.map((id) => ({ id, values: days.map((d) => costs.get(id)?.get(d) ?? 0) }));
  return html`<table id="costs"><tr><th>Connector</th>${days.map((d) => html`<th>${d.slice(5)}</th>`)}<th>${COST_DAYS} days</th></tr>
${rows.map((r) => html`<tr data-cost="${r.id}"><td>${r.id}</td>${r.values.map((v) => html`<td>${cell(v)}</td>`)}<td><strong>${cell(sum(r.values))}</strong></td></tr>`)}
<tr><th>All</th>${days.map((_, i) => html`<th>${cell(sum(rows.map((r) => r.values[i] as number)))}</th>`)}<th>${cell(sum(rows.flatMap((r) => r.values)))}</th></tr></table><small>UTC days</small>`;
}

/** The home page: connectors with schedules, next runs, last status and errors; cost per day; runs with filters and paging. */
/** Where runs execute with a queue: its workers, depth per agent type, enqueue-to-start latency. */
function workersHtml(q: QueueView): Raw {
  const waiting = Object.entries(q.waiting).map(([type, n]) => `${type} ${n}`).join(', ') || 'none';
  const ms = (v: number | null) => (v === null ? '—' : `${Math.round(v)} ms`);
  return html`<h2>Workers (${q.workers.length})</h2>
<p id="queue">Queue ${q.url} (prefix ${q.prefix}): ${q.reachable ? 'reachable' : html`<span class="err">unreachable</span>`}; waiting: ${waiting}; enqueue to start p50 ${ms(q.enqueueToStartMs.p50)}, p95 ${ms(q.enqueueToStartMs.p95)}</p>
<table id="workers"><tr><th>Worker</th><th>Host</th><th>Agent types</th><th>Running</th><th>Last heartbeat</th></tr>
${q.workers.length ? q.workers.map((w) => html`<tr><td>${w.name}</td><td>${w.host}</td><td>${w.agents.join(', ')}</td><td>${String(w.running.length)} of ${String(w.concurrency)}</td><td>${when(w.lastBeat)}</td></tr>`) : html`<tr><td colspan="5">No worker is connected: queued runs wait.</td></tr>`}</table>`;
}

export function homePage(view: HubView, query: URLSearchParams, queue?: QueueView | { type: 'local' }): string {
  const { connectors, invalidFiles: orphans } = view.connectors();
  const health = view.health();
  const connector = query.get('connector') || undefined;
  const status = (query.get('status') || undefined) as ExecutionStatus | undefined;
  const trigger = query.get('trigger') || undefined;
  const offset = Math.max(0, Number.parseInt(query.get('offset') ?? '0', 10) || 0);
  const { runs, total } = view.runsPage({ ...(connector ? { connectorId: connector } : {}), ...(status ? { status } : {}), ...(trigger ? { trigger } : {}), limit: PAGE, offset });
  const pageLink = (to: number) => {
    const q = new URLSearchParams(query);
    q.set('offset', String(to));
    return `/?${q.toString()}`;
  };
  const shown = connectors.filter((c) => c.state !== 'removed');
  const body = html`${storageBanner(health.storage)}${health.git ? gitBanner(health.git) : html``}
<h2>Connectors (${shown.length})</h2>
<table id="connectors"><tr><th>Connector</th><th>State</th><th>Schedule</th><th>Next run</th><th>Last run</th><th>Skipped</th><th>Version</th></tr>
${shown.map((c) => html`<tr data-connector="${c.id}"><td><strong><a href="/connectors/${c.id}">${c.id}</a></strong><br><small>${c.name}</small></td>
<td class="${c.state}">${c.state}${c.paused ? html`<br><span class="paused" title="a runtime pause: drifts from git">paused by ${c.paused.by}</span>` : html``}</td><td>${c.scheduleText}</td><td>${c.paused ? '— (paused)' : when(c.nextRun)}</td>
<td>${c.lastRun ? html`<a class="${c.lastRun.status}" href="/runs/${c.lastRun.id}">${c.lastRun.status}</a> ${when(c.lastRun.at)}` : '—'}</td>
<td class="skipped">${skipCell(c.skipped)}</td>
<td><code>${c.version}</code>${c.gitCommit ? ` @${c.gitCommit.slice(0, 7)}` : ''}</td></tr>
${c.lastError ? html`<tr><td></td><td colspan="6" class="err">${c.lastError.map(formatDiagnostic).join('\n')}\n(the last good version stays active)</td></tr>` : html``}`)}
</table>
${orphans.length ? html`<h2>Invalid files (not applied)</h2><table id="invalid">${orphans.map((o) => html`<tr><td>${o.path}</td><td class="err">${o.diagnostics.map(formatDiagnostic).join('\n')}</td></tr>`)}</table>` : html``}
${queue?.type === 'bullmq' ? workersHtml(queue) : html``}
<h2>Cost per day</h2>${costTable(view, shown.map((c) => c.id))}
<h2>Runs (${total})</h2>
<form method="get"><label>Connector <select name="connector"><option value="">all</option>${connectors.map((c) => html`<option ${c.id === connector ? html`selected` : html``}>${c.id}</option>`)}</select></label>
<label>Status <select name="status"><option value="">any</option>${['pending', 'running', 'success', 'failed'].map((s) => html`<option ${s === status ? html`selected` : html``}>${s}</option>`)}</select></label>
<label>Trigger <select name="trigger"><option value="">any</option>${['schedule', 'manual', 'api', 'event', 'catch-up', 'retry'].map((t) => html`<option ${t === trigger ? html`selected` : html``}>${t}</option>`)}</select></label>
<button>Filter</button></form>
<table id="runs"><tr><th>Run</th><th>Connector</th><th>Status</th><th>Trigger</th><th>Started</th><th>Duration</th><th>Cost</th></tr>
${runs.length ? runs.map(runRow) : html`<tr><td colspan="7">No runs yet.</td></tr>`}</table>
<p class="pager">${offset > 0 ? html`<a href="${pageLink(Math.max(0, offset - PAGE))}" id="newer">← newer</a>` : html``}${total > offset + PAGE ? html`<a href="${pageLink(offset + PAGE)}" id="older">older →</a>` : html``}<small>${total ? `${offset + 1}–${Math.min(offset + PAGE, total)} of ${total}` : ''}</small></p>`;
  // An overview with no form to lose: it reloads itself, with or without JavaScript.
  return page('Connectors and runs', body, { refresh: 'always' });
}

export { runPage } from './dashboard-run.js';
export { connectorPage } from './dashboard-connector.js';
