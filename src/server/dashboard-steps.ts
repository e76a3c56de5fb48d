import { toolSummary, oneLine, type TranscriptEvent } from '../agents/transcript.js';
import { html, type Raw } from './html.js';
import { money } from './dashboard-layout.js';

const at = (e: TranscriptEvent) => html`<time datetime="${e.at}" data-clock>${e.at.slice(11, 19)}</time>`;

/** One transcript step as a collapsible line: the summary always shown, the full text or input when opened. */
export function stepHtml(e: TranscriptEvent): Raw {
  let head: Raw;
  let body = '';
  switch (e.kind) {
    case 'init': head = html`<b>start</b> ${e.model ?? ''}`; break;
    case 'text': head = html`<b>says</b> <span>${oneLine(e.text, 200)}</span>`; body = e.text; break;
    case 'tool': head = html`<b>${e.name}</b> <code>${toolSummary(e.input)}</code>`; body = JSON.stringify(e.input, null, 2); break;
    case 'tool-result': head = html`<b class="${e.isError ? 'failed' : ''}">${e.isError ? '↳ error' : '↳'}</b> <span>${oneLine(e.text || '(no output)', 200)}</span>`; body = e.text; break;
    case 'denied': head = html`<b class="failed">denied</b> ${e.tool} <code>${toolSummary(e.input)}</code>`; body = JSON.stringify(e.input, null, 2); break;
    case 'result': head = html`<b class="${e.isError ? 'failed' : 'success'}">result</b> ${e.subtype ?? ''} ${money(e.costUsd)}`; break;
    case 'output': head = html`<b>${e.stream}</b> <span>${e.text}</span>`; break;
    case 'end': head = html`<b class="${e.status}">end</b> ${e.status}`; break;
  }
  return html`<details class="step step-${e.kind}" id="step-${e.seq}"><summary>${at(e)} ${head}${e.cut ? html`<small> [${e.cut} bytes cut]</small>` : html``}</summary>${body ? html`<pre>${body}</pre>` : html``}</details>`;
}
