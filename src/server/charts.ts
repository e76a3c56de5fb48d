import { html, type Raw } from './html.js';
import type { DayStats } from '../registry/run-stats.js';

const W = 6;
const GAP = 2;
const H = 48;

/** Bars, one per day, scaled to the largest; each with a title saying the day and the value. */
function bars(days: readonly DayStats[], value: (d: DayStats) => number | null, label: (d: DayStats) => string, color: (d: DayStats) => string, max: number): Raw {
  const width = days.length * (W + GAP);
  return html`<svg width="${width}" height="${H}" viewBox="0 0 ${width} ${H}" role="img">${days.map((d, i) => {
    const v = value(d);
    const h = v === null ? 0 : Math.max(1, Math.round((v / (max || 1)) * (H - 2)));
    const x = i * (W + GAP);
    return v === null
      ? html`<rect x="${x}" y="${H - 1}" width="${W}" height="1" fill="#d0d4d9"><title>${d.day}: no runs</title></rect>`
      : html`<rect x="${x}" y="${H - h}" width="${W}" height="${h}" fill="${color(d)}"><title>${d.day}: ${label(d)}</title></rect>`;
  })}</svg>`;
}

/** Success rate per day (green when all passed, orange when some failed, red when none passed). */
export function successChart(days: readonly DayStats[]): Raw {
  const rate = (d: DayStats) => (d.runs ? d.success / d.runs : null);
  const total = days.reduce((n, d) => n + d.runs, 0);
  const ok = days.reduce((n, d) => n + d.success, 0);
  return html`<div class="chart" id="success-chart"><strong>Success rate</strong> <span>${total ? `${Math.round((ok / total) * 100)}% of ${total} runs` : 'no runs'}</span><br>
${bars(days, rate, (d) => `${d.success}/${d.runs} succeeded`, (d) => (d.failed === 0 ? '#2da44e' : d.success === 0 ? '#cf222e' : '#d4a72c'), 1)}<small>last ${days.length} days (UTC)</small></div>`;
}

/** Dollars per day. */
export function costChart(days: readonly DayStats[]): Raw {
  const max = Math.max(...days.map((d) => d.costUsd));
  const total = days.reduce((n, d) => n + d.costUsd, 0);
  return html`<div class="chart" id="cost-chart"><strong>Cost per day</strong> <span>$${total.toFixed(4)} in all</span><br>
${bars(days, (d) => (d.runs ? d.costUsd : null), (d) => `$${d.costUsd.toFixed(4)} over ${d.runs} runs`, () => '#0969da', max)}<small>last ${days.length} days (UTC)</small></div>`;
}
