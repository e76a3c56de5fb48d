import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { testdir } from '../helpers/repo.js';
import { openDb } from '../../src/registry/db.js';
import { recordSkip } from '../../src/registry/skips.js';
import { Alerts } from '../../src/events/alerts.js';
import type { HubConfig } from '../../src/spec/hub-config.js';

// The hub-degraded and schedule-skipped rules against a real registry: what the outbox gets.
function setup() {
  const db = openDb(path.join(testdir(), 'hub.db'));
  let health: { status: 'ok' | 'degraded'; reasons: string[] } = { status: 'ok', reasons: [] };
  const config: HubConfig = { notify: { targets: [{ type: 'webhook', url: 'http://127.0.0.1:1/a', slack: true }] } };
  const alerts = new Alerts({ db, now: () => new Date(), config: () => config, health: () => health });
  const sent = () => (db.prepare('SELECT payload FROM delivery_outbox ORDER BY id').all() as Array<{ payload: string }>).map((r) => (JSON.parse(r.payload) as { body: { text: string } }).body.text);
  return { db, alerts, sent, setHealth: (h: typeof health) => (health = h) };
}

describe('alert rules', () => {
  it('hub-degraded: one alert while degraded however often it is looked at, one message when healthy again', () => {
    const { alerts, sent, setHealth } = setup();
    alerts.check();
    setHealth({ status: 'degraded', reasons: ['disk full: /srv/hub/.agent-hub/hub.db'] });
    for (let i = 0; i < 20; i++) alerts.check();
    setHealth({ status: 'ok', reasons: [] });
    alerts.check();
    alerts.check();
    expect(sent()).toEqual(['agent-hub: the hub is degraded: disk full: /srv/hub/.agent-hub/hub.db', 'agent-hub: the hub is healthy again']);
  });

  it('schedule-skipped: skips after the first look open one incident per connector; skips from before the start do not', () => {
    const { db, alerts, sent } = setup();
    const skip = (connectorId: string) => recordSkip(db, { connectorId, reason: 'overlap', at: new Date(), slot: new Date(), message: 'still running' });
    skip('old');
    alerts.check(); // baseline
    skip('a');
    skip('a');
    alerts.check();
    skip('a');
    alerts.check();
    expect(sent()).toEqual(['agent-hub: a: a scheduled run was skipped (overlap)']);
  });
});
