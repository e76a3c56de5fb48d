import { tokenCounts } from '../core/usage.js';
import { describeWorker } from '../core/worker.js';
import type { Execution } from '../registry/executions.js';
import { html } from './html.js';
import { money, noScript, page, secs, tokenField, when } from './dashboard-layout.js';
import { stepHtml } from './dashboard-steps.js';
import { renderMarkdown } from './markdown.js';
import { Raw } from './html.js';
import type { HubView } from './view.js';

/** "2400 in, 52 out, 100 cached" from a run's recorded usage. */
function tokens(e: Execution): string {
  const t = tokenCounts(e.usage);
  if (!t) return '';
  const cached = (t.cacheRead ?? 0) + (t.cacheCreation ?? 0);
  return `${t.in ?? 0} in, ${t.out ?? 0} out${cached ? `, ${cached} cached` : ''}`;
}

interface DeliveryRow { kind: string; target: string; status: string; attempts: number; lastError: string | null; sentAt: string | null }

/** The deliveries a run queued (hub-view adds them to the run), each with its status and last error. */
function deliveriesHtml(e: Execution): Raw {
  const rows = (e as Execution & { deliveries?: DeliveryRow[] }).deliveries ?? [];
  if (!rows.length) return html``;
  return html`<h2>Deliveries</h2><table id="deliveries"><tr><th>Kind</th><th>Target</th><th>Status</th><th>Attempts</th><th>Sent</th><th>Last error</th></tr>
${rows.map((d) => html`<tr><td>${d.kind}</td><td>${d.target}</td><td class="${d.status === 'sent' ? 'success' : d.status === 'failed' ? 'failed' : ''}">${d.status}</td><td>${String(d.attempts)}</td><td>${when(d.sentAt)}</td><td class="err">${d.lastError ?? ''}</td></tr>`)}</table>`;
}

/** One run: status, trigger, timing, cost and tokens, prompt, result as Markdown, the transcript (live while it runs). */
export async function runPage(view: HubView, id: string, opts: { tokenRequired: boolean }): Promise<string | undefined> {
  const e = view.execution(id);
  if (!e) return undefined;
  const running = e.status === 'pending' || e.status === 'running';
  const steps = (running ? view.transcript(id) : await view.committedTranscript(id)) ?? view.liveSince(id, 0);
  const commit = running ? null : await view.recordCommit(id);
  const inputs = e.inputs && Object.keys(e.inputs).length ? e.inputs : null;
  const body = html`<div ${running ? html`data-live-run="${e.id}" data-after="${steps.at(-1)?.seq ?? 0}"` : html``}>
<h2>Run ${e.id} <small id="live-status">${running ? 'running (reload for news without JavaScript)' : ''}</small></h2>
<dl id="run"><dt>Connector</dt><dd><a href="/connectors/${e.connectorId}">${e.connectorId}</a></dd>
<dt>Status</dt><dd class="${e.status}" id="status">${e.status}${e.errorKind ? ` (${e.errorKind})` : ''}</dd>
<dt>Trigger</dt><dd>${e.trigger}${e.attempt > 1 ? `, attempt ${e.attempt} of ` : ''}${e.attempt > 1 && e.parentId ? html`<a href="/runs/${e.parentId}">${e.parentId}</a>` : ''}${e.scheduledFor ? html`, slot ${when(e.scheduledFor)}` : ''}</dd>
<dt>Created</dt><dd>${when(e.createdAt)}</dd><dt>Started</dt><dd>${when(e.startedAt)}</dd><dt>Finished</dt><dd>${when(e.finishedAt)}</dd><dt>Duration</dt><dd>${secs(e.durationMs)}</dd>
<dt>Cost</dt><dd id="cost">${money(e.costUsd)}${e.numTurns !== null ? `, ${e.numTurns} turns` : ''}</dd><dt>Tokens</dt><dd>${tokens(e)}</dd>
<dt>Version</dt><dd><code>${e.specHash?.slice(0, 12) ?? ''}</code>${e.gitCommit ? html` from commit <code>${e.gitCommit.slice(0, 10)}</code>` : ''}</dd>
<dt>Recorded in</dt><dd id="commit">${commit ? html`commit <code>${commit.sha.slice(0, 10)}</code> ${commit.subject} (${when(commit.at)})` : running ? '—' : 'not committed yet'}</dd>
${e.savedTo ? html`<dt>Saved to</dt><dd id="saved-to"><code>${e.savedTo}</code></dd>` : html``}
${e.worker ? html`<dt>Worker</dt><dd id="worker">${describeWorker(e.worker)}</dd>` : html``}
${inputs ? html`<dt>Inputs</dt><dd><code>${JSON.stringify(inputs)}</code></dd>` : html``}</dl>
${e.status === 'failed' ? html`<form data-api="/api/connectors/${e.connectorId}/run" data-inputs="${JSON.stringify(inputs ?? {})}" id="rerun">${tokenField(opts.tokenRequired)}<button>Re-run with the same inputs</button><span class="form-result"></span>${noScript(`agent-hub run ${e.connectorId}`)}</form>` : html``}
${e.error ? html`<h2>Error</h2><pre class="err" id="error">${e.error}</pre>` : html``}
${e.permissionDenials?.length ? html`<h2>Denied tool calls</h2><pre>${JSON.stringify(e.permissionDenials, null, 2)}</pre>` : html``}
${deliveriesHtml(e)}
<h2>Prompt</h2><pre id="prompt">${e.renderedPrompt ?? ''}</pre>
<h2>Result</h2>${e.result ? html`<div class="md" id="result-md">${new Raw(renderMarkdown(e.result))}</div><details><summary>as text</summary><pre id="result">${e.result}</pre></details>` : html`<pre id="result"></pre>`}
<h2>Transcript (${steps.length} steps)</h2>${steps.length || running ? html`` : html`<p>No transcript kept for this run.</p>`}
<div id="transcript">${steps.map(stepHtml)}</div></div>`;
  return page(`Run ${e.id}`, body, { refresh: running });
}
