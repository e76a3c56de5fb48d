import type { Execution, ExecutionStatus } from '../registry/executions.js';
import type { GitHealth } from '../gitstate/health.js';
import { formatDiagnostic } from '../core/diagnostic.js';
import { html, Raw } from './html.js';
import type { SkipSummary } from '../registry/skips.js';
import type { HealthReport, HubView } from './view.js';

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d1f23;background:#f6f7f9}
header{background:#1d1f23;color:#fff;padding:10px 20px;display:flex;gap:16px;align-items:baseline}header a{color:#fff}
main{padding:16px 20px;max-width:1300px}h2{font-size:16px;margin:24px 0 8px}table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e3e5e8;vertical-align:top}th{font-weight:600;background:#eef0f3}
.success,.active{color:#1a7f37}.failed,.invalid{color:#c62828}.running,.pending{color:#9a6700}.disabled,.removed{color:#6e7781}
pre{background:#fff;border:1px solid #e3e5e8;padding:10px;white-space:pre-wrap;word-break:break-word;max-height:480px;overflow:auto}
.err{color:#c62828;font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap}form{margin:8px 0}dl{display:grid;grid-template-columns:max-content auto;gap:4px 16px}dt{font-weight:600}`;

function page(title: string, body: Raw, refresh = true): string {
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><title>${title} · agent-hub</title>
${refresh ? html`<meta http-equiv="refresh" content="5">` : html``}<meta name="viewport" content="width=device-width"><style>${new Raw(STYLE)}</style></head>
<body><header><strong><a href="/">agent-hub</a></strong><span>${title}</span></header><main>${body}</main></body></html>`.html}`;
}

const money = (n: number | null) => (n === null ? '' : `$${n.toFixed(4)}`);
const secs = (ms: number | null) => (ms === null ? '' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

function runRow(e: Execution): Raw {
  return html`<tr data-run="${e.id}"><td><a href="/runs/${e.id}">${e.id}</a></td><td>${e.connectorId}</td><td class="${e.status}">${e.status}${e.errorKind ? ` (${e.errorKind})` : ''}</td>
<td>${e.trigger}${e.attempt > 1 ? ` #${e.attempt}` : ''}</td><td>${e.startedAt ?? e.createdAt}</td><td>${secs(e.durationMs)}</td><td>${money(e.costUsd)}</td></tr>`;
}

/** How many scheduled slots did not run, and why the last one did not. */
function skipCell(s: SkipSummary): Raw | string {
  if (!s.last) return '—';
  const reasons = Object.entries(s.byReason).map(([reason, n]) => `${reason} ${n}`).join(', ');
  return html`<span class="pending">${s.count}</span> (${reasons})<br><small>last ${s.last.at}: ${s.last.message}</small>`;
}

/** One line on the git state; a red box per operation that keeps failing. */
function gitBanner(g: GitHealth): Raw {
  const failing = Object.entries(g.failing);
  return html`<p id="git">State in git: ${g.pending} file${g.pending === 1 ? '' : 's'} waiting; last commit ${g.lastCommitAt ?? '— (none since start)'}${g.lastPushAt ? `; last push ${g.lastPushAt}` : ''}.</p>
${failing.map(([op, f]) => html`<pre class="err" data-failing="${op}">git ${op} failing since ${f.since}: ${f.error}</pre>`)}`;
}

/** A red box while the hub cannot write: the reason, since when, and what waits in memory. */
function storageBanner(s: HealthReport['storage']): Raw {
  if (!s) return html``;
  const kept = s.unrecordedRuns ? `; ${s.unrecordedRuns} finished run${s.unrecordedRuns === 1 ? '' : 's'} kept in memory until ${s.unrecordedRuns === 1 ? 'it' : 'they'} can be recorded` : '';
  return html`<pre class="err" id="degraded">Degraded since ${s.since}: ${s.reason}${kept}. The hub keeps running and retries.</pre>`;
}

/** The home page: connectors with schedules, next runs, last status and errors; recent runs with filters. */
export function homePage(view: HubView, query: URLSearchParams): string {
  const { connectors, invalidFiles: orphans } = view.connectors();
  const health = view.health();
  const connector = query.get('connector') || undefined;
  const status = (query.get('status') || undefined) as ExecutionStatus | undefined;
  const runs = view.executions({ ...(connector ? { connectorId: connector } : {}), ...(status ? { status } : {}), limit: 50 });
  const body = html`${storageBanner(health.storage)}${health.git ? gitBanner(health.git) : html``}
<h2>Connectors (${connectors.filter((c) => c.state !== 'removed').length})</h2>
<table id="connectors"><tr><th>Connector</th><th>State</th><th>Schedule</th><th>Next run</th><th>Last run</th><th>Skipped</th><th>Version</th></tr>
${connectors.filter((c) => c.state !== 'removed').map((c) => html`<tr data-connector="${c.id}"><td><strong>${c.id}</strong><br><small>${c.name}</small></td>
<td class="${c.state}">${c.state}</td><td>${c.scheduleText}</td><td>${c.nextRun ?? '—'}</td>
<td>${c.lastRun ? html`<a class="${c.lastRun.status}" href="/runs/${c.lastRun.id}">${c.lastRun.status}</a> ${c.lastRun.at}` : '—'}</td>
<td class="skipped">${skipCell(c.skipped)}</td>
<td><code>${c.version}</code>${c.gitCommit ? ` @${c.gitCommit.slice(0, 7)}` : ''}</td></tr>
${c.lastError ? html`<tr><td></td><td colspan="6" class="err">${c.lastError.map(formatDiagnostic).join('\n')}\n(the last good version stays active)</td></tr>` : html``}`)}
</table>
${orphans.length ? html`<h2>Invalid files (not applied)</h2><table id="invalid">${orphans.map((o) => html`<tr><td>${o.path}</td><td class="err">${o.diagnostics.map(formatDiagnostic).join('\n')}</td></tr>`)}</table>` : html``}
<h2>Recent runs</h2>
<form method="get"><label>Connector <select name="connector"><option value="">all</option>${connectors.map((c) => html`<option ${c.id === connector ? html`selected` : html``}>${c.id}</option>`)}</select></label>
<label>Status <select name="status"><option value="">any</option>${['pending', 'running', 'success', 'failed'].map((s) => html`<option ${s === status ? html`selected` : html``}>${s}</option>`)}</select></label>
<button>Filter</button></form>
<table id="runs"><tr><th>Run</th><th>Connector</th><th>Status</th><th>Trigger</th><th>Started</th><th>Duration</th><th>Cost</th></tr>
${runs.length ? runs.map(runRow) : html`<tr><td colspan="7">No runs yet.</td></tr>`}</table>`;
  return page('Connectors and runs', body);
}

/** One run: prompt, result, error, cost, timing. */
export function runPage(view: HubView, id: string): string | undefined {
  const e = view.execution(id);
  if (!e) return undefined;
  const body = html`<h2>Run ${e.id}</h2>
<dl id="run"><dt>Connector</dt><dd><a href="/?connector=${e.connectorId}">${e.connectorId}</a></dd>
<dt>Status</dt><dd class="${e.status}">${e.status}${e.errorKind ? ` (${e.errorKind})` : ''}</dd>
<dt>Trigger</dt><dd>${e.trigger}${e.attempt > 1 ? `, attempt ${e.attempt} of ${e.parentId}` : ''}${e.scheduledFor ? `, slot ${e.scheduledFor}` : ''}</dd>
<dt>Started</dt><dd>${e.startedAt ?? '—'}</dd><dt>Finished</dt><dd>${e.finishedAt ?? '—'}</dd><dt>Duration</dt><dd>${secs(e.durationMs)}</dd>
<dt>Cost</dt><dd>${money(e.costUsd)}${e.numTurns !== null ? `, ${e.numTurns} turns` : ''}</dd><dt>Version</dt><dd><code>${e.specHash?.slice(0, 12) ?? ''}</code></dd></dl>
${e.error ? html`<h2>Error</h2><pre class="err" id="error">${e.error}</pre>` : html``}
${e.permissionDenials?.length ? html`<h2>Denied tool calls</h2><pre>${JSON.stringify(e.permissionDenials, null, 2)}</pre>` : html``}
<h2>Prompt</h2><pre id="prompt">${e.renderedPrompt ?? ''}</pre>
<h2>Result</h2><pre id="result">${e.result ?? ''}</pre>`;
  return page(`Run ${e.id}`, body, e.status === 'pending' || e.status === 'running');
}
