import { createHash } from 'node:crypto';
import { html, Raw } from './html.js';
import { SCRIPT } from './dashboard-script.js';

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d1f23;background:#f6f7f9}
header{background:#1d1f23;color:#fff;padding:10px 20px;display:flex;gap:16px;align-items:baseline}header a{color:#fff}#zone{margin-left:auto;color:#aab}
main{padding:16px 20px;max-width:1300px}h2{font-size:16px;margin:24px 0 8px}table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e3e5e8;vertical-align:top}th{font-weight:600;background:#eef0f3}
.success,.active{color:#1a7f37}.failed,.invalid{color:#c62828}.running,.pending,.paused{color:#9a6700}.disabled,.removed{color:#6e7781}
pre{background:#fff;border:1px solid #e3e5e8;padding:10px;white-space:pre-wrap;word-break:break-word;max-height:480px;overflow:auto}
.err{color:#c62828;font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap}form{margin:8px 0}dl{display:grid;grid-template-columns:max-content auto;gap:4px 16px}dt{font-weight:600}
.md{background:#fff;border:1px solid #e3e5e8;padding:4px 14px}.md pre{border:0;background:#f6f7f9}.md table{width:auto}
.step summary{cursor:pointer;padding:3px 0;font-family:ui-monospace,monospace;font-size:12.5px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.step pre{margin:2px 0 8px 24px;font-size:12px}.step-tool-result summary,.step-output summary{padding-left:20px;color:#444}
.drift{background:#fff4d6;border:1px solid #e8c96a;padding:8px 12px}.charts{display:flex;gap:24px;flex-wrap:wrap}.chart small{display:block;color:#6e7781}
.form-result{color:#c62828;margin-left:8px}fieldset{border:1px solid #e3e5e8;background:#fff}label{margin-right:12px}.pager a{margin-right:12px}`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * What a dashboard page may load and run: its own script and style only (by hash), requests
 * to the hub itself, no frames. Should an agent's text ever slip past the escaping, no
 * script of its own would run.
 */
export const PAGE_CSP = [
  "default-src 'none'", `script-src ${sha256(SCRIPT)}`, `style-src ${sha256(STYLE)}`, "connect-src 'self'", "img-src 'self' data:",
  "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'",
].join('; ');

/** A dashboard page: readable as it comes from the server, localised and live with its one script. */
export function page(title: string, body: Raw, opts: { refresh?: boolean | 'always' } = {}): string {
  // Without JavaScript a running run's page reloads itself; with it, the live view takes over.
  const meta = html`<meta http-equiv="refresh" content="5">`;
  const refresh = opts.refresh === 'always' ? meta : opts.refresh ? html`<noscript>${meta}</noscript>` : html``;
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><title>${title} · agent-hub</title>
${refresh}<meta name="viewport" content="width=device-width"><style>${new Raw(STYLE)}</style></head>
<body><header><strong><a href="/">agent-hub</a></strong><span>${title}</span><small id="zone">times in UTC</small></header><main>${body}</main>
<script>${new Raw(SCRIPT)}</script></body></html>`.html}`;
}

/** A time the script shows in the viewer's zone; UTC text until then (and without JavaScript). */
export function when(iso: string | null | undefined): Raw | string {
  if (!iso) return '—';
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')}</time>`;
}

export const money = (n: number | null | undefined) => (n === null || n === undefined ? '' : `$${n.toFixed(4)}`);
export const secs = (ms: number | null) => (ms === null ? '' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

/** The token field of a form that calls the API, when the hub wants one for writes. */
export function tokenField(required: boolean): Raw {
  return required ? html`<label>Token <input type="password" name="token" autocomplete="current-password" required></label>` : html``;
}

/** Said where a form needs the script: without it, the command line does the same. */
export function noScript(command: string): Raw {
  return html`<noscript><small>(needs JavaScript; or run <code>${command}</code>)</small></noscript>`;
}
