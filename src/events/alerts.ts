import type { Db } from '../registry/db.js';
import type { Execution } from '../registry/executions.js';
import { getConnector, listConnectors } from '../registry/connectors.js';
import { lastSlot } from '../registry/executions.js';
import { SlotClock } from '../schedule/slots.js';
import { closeAlert, openAlert, openAlerts } from '../registry/alerts.js';
import { enqueue } from '../registry/outbox.js';
import { skipCounts } from '../registry/skips.js';
import { decideRetry } from '../execute/policy.js';
import type { HubConfig, NotifyTarget } from '../spec/hub-config.js';
import { commentMarker, slackText } from '../deliver/plan.js';

export type AlertRule = 'run-failed' | 'schedule-missed' | 'schedule-skipped' | 'budget-reached' | 'hub-degraded';
const RULES: readonly AlertRule[] = ['run-failed', 'schedule-missed', 'schedule-skipped', 'budget-reached', 'hub-degraded'];

export interface AlertsOptions {
  db: Db;
  now: () => Date;
  config: () => HubConfig;
  health: () => { status: 'ok' | 'degraded'; reasons: string[] };
}

/**
 * hub.yaml `notify:`: incidents, not runs. An incident opens once (one alert to every
 * target, queued in the outbox in the same transaction that records it open) and closes
 * once (one recovery message); what happens in between is counted. Kept in the registry,
 * so a restart neither repeats an alert nor forgets an open incident.
 */
export class Alerts {
  private skipsSeen: Map<string, number> | undefined;

  constructor(private readonly o: AlertsOptions) {}

  private enabled(rule: AlertRule): boolean {
    const n = this.o.config().notify;
    return Boolean(n?.targets?.length) && (n?.on ?? RULES).includes(rule);
  }

  /** A run was recorded: a final failure opens its connector's incident, a success closes them. */
  runFinished(e: Execution): boolean {
    if (!this.o.config().notify?.targets?.length) return false; // nothing to tell anyone: no work per run
    if (e.status === 'success') {
      let sent = false;
      for (const a of openAlerts(this.o.db, `${e.connectorId}:`)) sent = this.close(a.key, `${e.connectorId} recovered: run ${e.id} succeeded${a.count > 1 ? ` after ${a.count} failed or skipped` : ''}`) || sent;
      return sent;
    }
    if (e.status !== 'failed' || e.errorKind === 'cancelled') return false;
    const spec = getConnector(this.o.db, e.connectorId)?.version.spec;
    if (spec && decideRetry({ finish: { status: 'failed', errorKind: e.errorKind }, attempt: e.attempt, retry: spec.retry, stopping: false }).retry) return false;
    const rule: AlertRule = e.errorKind === 'budget' ? 'budget-reached' : 'run-failed';
    const what = rule === 'budget-reached' ? 'reached its budget' : 'is failing';
    return this.open(rule, `${e.connectorId}:${rule}`, e.connectorId, `${e.connectorId} ${what}: run ${e.id} failed (${e.errorKind ?? 'error'}): ${(e.error ?? '').slice(0, 500)}`, e.id);
  }

  /**
   * At start, after catch-up: a scheduled slot between a connector's last handled slot and
   * now was missed (the hub was down, and catchUp did not make it).
   */
  missedSlots(): void {
    if (!this.enabled('schedule-missed')) return;
    const now = this.o.now();
    for (const c of listConnectors(this.o.db).filter((x) => x.active && x.enabled && x.version.spec.schedule)) {
      const last = lastSlot(this.o.db, c.id);
      const missed = last && new SlotClock(c.version.spec.schedule as string, c.version.spec.timezone).latestBetween(last, now);
      if (missed) this.open('schedule-missed', `${c.id}:schedule-missed`, c.id, `${c.id} missed its scheduled run of ${missed.toISOString()} (the hub was not running; last slot handled: ${last.toISOString()})`);
    }
  }

  /** Looks at the hub's health and the skip counters (called every few seconds). */
  check(): void {
    if (!this.o.config().notify?.targets?.length) return;
    const h = this.o.health();
    if (h.status === 'degraded') this.open('hub-degraded', '@hub:hub-degraded', 'hub', `the hub is degraded: ${h.reasons.join('; ')}`);
    else this.close('@hub:hub-degraded', 'the hub is healthy again');
    const counts = new Map(skipCounts(this.o.db).map((s) => [`${s.connectorId}:${s.reason}`, s.count]));
    const seen = this.skipsSeen;
    this.skipsSeen = counts;
    if (!seen) return; // the first look sets the baseline: skips from before this start were told then
    for (const [key, n] of counts) {
      if (n <= (seen.get(key) ?? 0)) continue;
      const [connector, reason] = key.split(':') as [string, string];
      this.open('schedule-skipped', `${connector}:schedule-skipped`, connector, `${connector}: a scheduled run was skipped (${reason})`);
    }
  }

  /** Opens (or counts) an incident; true when its alert was queued. */
  private open(rule: AlertRule, key: string, subject: string, message: string, runId?: string): boolean {
    if (!this.enabled(rule)) return false;
    return this.o.db.transaction(() => {
      const fresh = openAlert(this.o.db, { key, rule, subject, at: this.o.now(), message });
      if (fresh) this.send(rule, subject, 'open', message, runId);
      return fresh;
    })();
  }

  /** Closes an incident; true when its recovery message was queued. */
  private close(key: string, message: string): boolean {
    return this.o.db.transaction(() => {
      const closed = closeAlert(this.o.db, key);
      if (closed) this.send(closed.rule as AlertRule, closed.subject, 'resolved', message);
      return closed !== undefined;
    })();
  }

  private send(rule: AlertRule, subject: string, state: 'open' | 'resolved', message: string, runId?: string): void {
    const text = `agent-hub: ${message}`;
    for (const t of this.o.config().notify?.targets ?? []) {
      const payload = targetPayload(t, { rule, subject, state, text, runId });
      if (payload) enqueue(this.o.db, { runId: runId ?? null, connectorId: subject === 'hub' ? null : subject, kind: payload.kind, target: payload.target, payload: payload.payload, at: this.o.now() });
    }
  }
}

function targetPayload(t: NotifyTarget, a: { rule: AlertRule; subject: string; state: 'open' | 'resolved'; text: string; runId?: string | undefined }): { kind: string; target: string; payload: Record<string, unknown> } | undefined {
  if (t.type === 'webhook' && t.url) {
    const body = t.slack ? { text: slackText(a.text) } : { alert: { rule: a.rule, subject: a.subject, state: a.state, message: a.text, ...(a.runId ? { runId: a.runId } : {}) } };
    return { kind: 'webhook', target: t.url, payload: { url: t.url, body } };
  }
  if (t.type === 'github-issue' && t.repository) {
    const marker = commentMarker(a.subject, `alert:${a.rule}`);
    return {
      kind: 'alert-issue', target: `${t.repository} alert`,
      payload: { repository: t.repository, title: `agent-hub alert: ${a.subject} (${a.rule})`, body: `${a.text}\n\n${marker}`, state: a.state === 'resolved' ? 'closed' : 'open', ...(t.token ? { token: t.token } : {}) },
    };
  }
  return undefined;
}
