/**
 * The dashboard's only script, inline in every page: times in the viewer's time zone, the
 * live transcript of a running run (EventSource, which resumes with Last-Event-ID), and the
 * forms that call the API (run now, re-run, pause, resume) as JSON with the token. Pages
 * read fine without it. Built with textContent only: nothing received becomes markup.
 */
export const SCRIPT = `(() => {
const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
const local = (root) => root.querySelectorAll('time[datetime]').forEach((t) => {
  const d = new Date(t.getAttribute('datetime'));
  if (isNaN(d)) return;
  t.title = t.getAttribute('datetime');
  t.textContent = t.dataset.clock !== undefined ? clock.format(d) : fmt.format(d);
});
local(document);
const zone = document.getElementById('zone');
if (zone) zone.textContent = 'times in ' + Intl.DateTimeFormat().resolvedOptions().timeZone;

const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
const summary = (input) => {
  const i = input && typeof input === 'object' ? input : {};
  for (const k of ['command', 'file_path', 'notebook_path', 'path', 'pattern', 'url', 'query', 'prompt', 'description']) if (typeof i[k] === 'string' && i[k]) return i[k].split('\\n')[0];
  const j = JSON.stringify(input); return j === '{}' ? '' : j;
};
function step(e) {
  const d = el('details', 'step step-' + e.kind);
  d.id = 'step-' + e.seq;
  const s = el('summary');
  const t = el('time', null, e.at); t.setAttribute('datetime', e.at); t.dataset.clock = ''; s.append(t, ' ');
  let body = '';
  if (e.kind === 'init') { s.append(el('b', null, 'start'), ' ' + (e.model || '')); }
  else if (e.kind === 'text') { s.append(el('b', null, 'says'), ' ', el('span', null, e.text.split('\\n')[0])); body = e.text; }
  else if (e.kind === 'tool') { s.append(el('b', null, e.name), ' ', el('code', null, summary(e.input))); body = JSON.stringify(e.input, null, 2); }
  else if (e.kind === 'tool-result') { s.append(el('b', e.isError ? 'failed' : null, e.isError ? '↳ error' : '↳'), ' ', el('span', null, (e.text || '(no output)').split('\\n')[0])); body = e.text; }
  else if (e.kind === 'denied') { s.append(el('b', 'failed', 'denied'), ' ' + e.tool + ' ', el('code', null, summary(e.input))); body = JSON.stringify(e.input, null, 2); }
  else if (e.kind === 'result') { s.append(el('b', e.isError ? 'failed' : 'success', 'result'), ' ' + (e.subtype || '') + (e.costUsd != null ? ' $' + e.costUsd.toFixed(4) : '')); }
  else if (e.kind === 'output') { s.append(el('b', null, e.stream), ' ', el('span', null, e.text)); }
  else if (e.kind === 'end') { s.append(el('b', e.status, 'end'), ' ' + e.status); }
  if (e.cut) s.append(el('small', null, ' [' + e.cut + ' bytes cut]'));
  d.append(s);
  if (body) d.append(el('pre', null, body));
  local(d);
  return d;
}

const main = document.querySelector('[data-live-run]');
if (main && window.EventSource) {
  const list = document.getElementById('transcript');
  const status = document.getElementById('live-status');
  const after = Number(main.dataset.after || 0);
  const source = new EventSource('/api/executions/' + main.dataset.liveRun + '/events?after=' + after);
  if (status) status.textContent = 'live';
  const kinds = ['init', 'text', 'tool', 'tool-result', 'denied', 'result', 'output', 'end'];
  kinds.forEach((k) => source.addEventListener(k, (m) => {
    const e = JSON.parse(m.data);
    if (!document.getElementById('step-' + e.seq)) list.append(step(e));
    if (e.kind === 'end') { source.close(); if (status) status.textContent = 'finished: ' + e.status; setTimeout(() => location.reload(), 300); }
  }));
  source.onerror = () => { if (status) status.textContent = 'reconnecting…'; };
}

document.querySelectorAll('form[data-api]').forEach((form) => {
  const tokenField = form.querySelector('input[name=token]');
  if (tokenField) tokenField.value = sessionStorage.getItem('agent-hub-token') || '';
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const out = form.querySelector('.form-result');
    const body = {};
    const inputs = {};
    form.querySelectorAll('[data-input]').forEach((f) => {
      const name = f.dataset.input, type = f.dataset.type;
      if (type === 'boolean') { inputs[name] = f.checked; return; }
      if (f.value === '') return;
      if (type === 'number' || type === 'integer') inputs[name] = Number(f.value);
      else if (type === 'array' || type === 'object') { try { inputs[name] = JSON.parse(f.value); } catch { inputs[name] = f.value; } }
      else inputs[name] = f.value;
    });
    if (form.dataset.inputs !== undefined) body.inputs = form.dataset.inputs ? JSON.parse(form.dataset.inputs) : inputs;
    form.querySelectorAll('[data-field]').forEach((f) => { if (f.value) body[f.dataset.field] = f.value; });
    const headers = { 'content-type': 'application/json' };
    if (tokenField && tokenField.value) { headers.authorization = 'Bearer ' + tokenField.value; sessionStorage.setItem('agent-hub-token', tokenField.value); }
    out.textContent = '…';
    try {
      const res = await fetch(form.dataset.api, { method: 'POST', headers, body: JSON.stringify(body) });
      const answer = await res.json().catch(() => ({}));
      if (res.status === 202 && answer.id) { location.href = '/runs/' + answer.id; return; }
      if (res.ok) { location.reload(); return; }
      out.textContent = res.status + ': ' + (answer.error || 'refused') + (answer.details ? ' (' + answer.details.join('; ') + ')' : '');
    } catch (err) { out.textContent = String(err); }
  });
});
})();`;
