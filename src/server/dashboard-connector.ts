import type { InputSpec } from '../core/types.js';
import { formatDiagnostic } from '../core/diagnostic.js';
import { html, type Raw } from './html.js';
import { costChart, successChart } from './charts.js';
import { money, noScript, page, secs, tokenField, when } from './dashboard-layout.js';
import type { ConnectorView, HubView } from './view.js';
import type { Pause } from '../registry/pauses.js';

/** A form field for one declared input, typed as the API will send it. */
function inputField(name: string, s: InputSpec): Raw {
  const label = html`${name}${s.required ? ' *' : ''}`;
  const help = s.description ? html`<small> ${s.description}</small>` : html``;
  const common = { name, type: s.type };
  if (s.enum?.length) {
    return html`<label>${label} <select data-input="${common.name}" data-type="${common.type}">${s.required ? html`` : html`<option value=""></option>`}${s.enum.map((v) => html`<option value="${String(v)}" ${v === s.default ? html`selected` : html``}>${String(v)}</option>`)}</select></label>${help}<br>`;
  }
  if (s.type === 'boolean') return html`<label><input type="checkbox" data-input="${name}" data-type="boolean" ${s.default === true ? html`checked` : html``}> ${label}</label>${help}<br>`;
  const kind = s.type === 'number' || s.type === 'integer' ? 'number' : 'text';
  const value = s.default === undefined ? '' : typeof s.default === 'string' ? s.default : JSON.stringify(s.default);
  return html`<label>${label} <input type="${kind}" ${s.type === 'number' ? html`step="any"` : html``} data-input="${name}" data-type="${s.type}" value="${value}" ${s.required && s.default === undefined ? html`required` : html``}></label>${help}<br>`;
}

/** The drift box: a runtime pause overrides what git says. */
export function pauseBanner(id: string, p: Pause | null): Raw {
  if (!p) return html``;
  return html`<p class="drift" id="paused"><strong>Paused</strong> by ${p.by} at ${when(p.at)}${p.reason ? `: ${p.reason}` : ''}. This drifts from git: the connector file says it runs; no new run starts until it is resumed (<code>agent-hub resume ${id}</code>).</p>`;
}

/** One connector: what it is, when it runs, how it has done, its versions; run now, pause and resume. */
export function connectorPage(view: HubView, id: string, opts: { tokenRequired: boolean }): string | undefined {
  const c = view.connector(id);
  if (!c) return undefined;
  const { days, versions, nextRuns } = view.history(id, 30);
  const { runs, total } = view.runsPage({ connectorId: id, limit: 20, offset: 0 });
  const inputs = Object.entries(c.spec?.inputs ?? {});
  const spec = c.spec;
  const body = html`<h2>${c.name} <small><code>${c.id}</code></small></h2>
${pauseBanner(c.id, c.paused)}
${c.description ? html`<p id="description">${c.description}</p>` : html``}
<dl id="connector"><dt>State</dt><dd class="${c.paused ? 'paused' : c.state}">${c.paused ? 'paused' : c.state}</dd>
<dt>Schedule</dt><dd id="schedule">${c.scheduleText}${c.schedule ? html` <code>${c.schedule}</code>` : html``}</dd>
<dt>Next runs</dt><dd id="next-runs">${nextRuns.length ? html`<ol>${nextRuns.map((t) => html`<li>${when(t)}</li>`)}</ol>` : '—'}</dd>
<dt>Applied version</dt><dd id="version"><code>${c.version}</code> from <code>${c.sourcePath}</code>${c.gitCommit ? html` at commit <code>${c.gitCommit.slice(0, 10)}</code>` : ' (not committed)'}, applied ${when(c.appliedAt)}</dd>
<dt>Sync</dt><dd>${c.lastError ? html`<span class="err">${c.lastError.map(formatDiagnostic).join('\n')}\n(the last good version stays active)</span>` : 'in sync with its file'}</dd>
${spec ? html`<dt>Agent</dt><dd>${spec.agent.type}${spec.agent.model ? `, ${spec.agent.model}` : ''}, timeout ${spec.agent.timeout}</dd>` : html``}
${spec?.budget.maxCostUsdPerDay !== undefined || spec?.budget.maxCostUsdPerRun !== undefined ? html`<dt>Budget</dt><dd>${spec?.budget.maxCostUsdPerRun !== undefined ? `$${spec.budget.maxCostUsdPerRun} a run` : ''} ${spec?.budget.maxCostUsdPerDay !== undefined ? `$${spec.budget.maxCostUsdPerDay} a day` : ''}</dd>` : html``}</dl>
<div class="charts">${successChart(days)}${costChart(days)}</div>
<h2>Run now</h2>
<form data-api="/api/connectors/${c.id}/run" data-inputs id="run-now"><fieldset>${inputs.map(([name, s]) => inputField(name, s))}${tokenField(opts.tokenRequired)}<button ${c.paused ? html`disabled` : html``}>Run now</button><span class="form-result"></span>${noScript(`agent-hub run ${c.id}`)}</fieldset></form>
<h2>${c.paused ? 'Resume' : 'Pause'}</h2>
${c.paused
    ? html`<form data-api="/api/connectors/${c.id}/resume" id="resume">${tokenField(opts.tokenRequired)}<button>Resume</button><span class="form-result"></span>${noScript(`agent-hub resume ${c.id}`)}</form>`
    : html`<form data-api="/api/connectors/${c.id}/pause" id="pause"><label>Reason <input data-field="reason" maxlength="500"></label><input type="hidden" data-field="by" value="dashboard">${tokenField(opts.tokenRequired)}<button>Pause</button><span class="form-result"></span>${noScript(`agent-hub pause ${c.id}`)}</form>
<small>An emergency stop that does not wait for a pull request: scheduled slots are skipped and run requests refused until it is resumed.</small>`}
<h2>Skipped slots</h2>${c.skipped.last ? html`<table id="skipped"><tr><th>Reason</th><th>Count</th></tr>${Object.entries(c.skipped.byReason).map(([r, n]) => html`<tr><td>${r}</td><td>${n}</td></tr>`)}</table><p>Last: ${when(c.skipped.last.at)}: ${c.skipped.last.message}</p>` : html`<p>None.</p>`}
<h2>Recent runs (${total})</h2><table id="runs"><tr><th>Run</th><th>Status</th><th>Trigger</th><th>Started</th><th>Duration</th><th>Cost</th></tr>
${runs.length ? runs.map((e) => html`<tr data-run="${e.id}"><td><a href="/runs/${e.id}">${e.id}</a></td><td class="${e.status}">${e.status}${e.errorKind ? ` (${e.errorKind})` : ''}</td><td>${e.trigger}</td><td>${when(e.startedAt ?? e.createdAt)}</td><td>${secs(e.durationMs)}</td><td>${money(e.costUsd)}</td></tr>`) : html`<tr><td colspan="6">No runs yet.</td></tr>`}</table>
${total > runs.length ? html`<p><a href="/?connector=${c.id}">All ${total} runs</a></p>` : html``}
<h2>Versions</h2><table id="versions"><tr><th>Version</th><th>File</th><th>Commit</th><th>Applied</th></tr>
${versions.map((v) => html`<tr><td><code>${v.specHash.slice(0, 12)}</code></td><td>${v.sourcePath}</td><td>${v.gitCommit ? html`<code>${v.gitCommit.slice(0, 10)}</code>` : '—'}</td><td>${when(v.appliedAt)}</td></tr>`)}</table>`;
  return page(c.name, body);
}

export type { ConnectorView };
