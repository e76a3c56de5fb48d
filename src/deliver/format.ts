import type { OutboxAttempt, OutboxItem } from '../registry/outbox.js';

/** A run's deliveries as `agent-hub show` prints them: one line each, then one line per attempt. */
export function describeDeliveries(items: Array<OutboxItem & { history: OutboxAttempt[] }>): string {
  if (!items.length) return '';
  const lines = ['Deliveries:'];
  for (const d of items) {
    lines.push(`  ${d.kind} → ${d.target}: ${d.status}${d.status === 'pending' && d.attempts ? ` (next attempt ${d.nextAt})` : ''}${d.lastError && d.status !== 'sent' ? ` — ${d.lastError}` : ''}`);
    for (const a of d.history) lines.push(`    attempt ${a.attempt} at ${a.at}: ${a.outcome}${a.detail ? ` (${a.detail})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What the API and `show --json` add to a run: its deliveries without their payloads (bodies can be large). */
export function deliverySummaries(items: Array<OutboxItem & { history: OutboxAttempt[] }>): unknown[] {
  return items.map(({ payload: _payload, ...rest }) => rest);
}
