import { describe, expect, it, onTestFinished } from 'vitest';
import { Hub } from '../../src/hub.js';
import { HubMetrics } from '../../src/server/metrics.js';
import { homePage } from '../../src/server/dashboard.js';
import { hubView, metricsSource } from '../../src/server/hub-view.js';
import { connectorStatus, connectorStatuses } from '../../src/registry/status.js';
import { testdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { cli } from '../helpers/cli.js';
import { startHubApp } from '../helpers/hub-app.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

describe('skipped scheduled runs are visible', () => {
  it('counts slots skipped for overlap, budget or an error, with the last reason, in status, the API data, the dashboard and /metrics', async () => {
    const root = testdir({
      'connectors/busy.yaml': yaml({ prompt: 'x\n@fake sleep 1.5', schedule: '* * * * * *' }),
      'connectors/broke.yaml': yaml({ prompt: 'x', schedule: '* * * * * *', budget: { maxCostUsdPerDay: 0.001 } }),
      'connectors/calm.yaml': yaml({ prompt: 'x' }),
      'connectors/needy.yaml': yaml({ prompt: 'PR {{inputs.pr}}', schedule: '* * * * * *', inputs: { pr: { type: 'integer', required: true } } }),
    });
    const hub = new Hub({ repo: root, env: fakeClaudeEnv().env, killGraceMs: 200 });
    onTestFinished(async () => {
      try { await hub.stop(0); } catch { /* stopped below */ }
    });
    const metrics = new HubMetrics(metricsSource(hub));
    await hub.start();

    await eventually(() => {
      expect(connectorStatus(hub.db, 'busy')?.skipped.byReason.overlap).toBeGreaterThan(0);
      expect(connectorStatus(hub.db, 'broke')?.skipped.byReason.budget).toBeGreaterThan(0);
      expect(connectorStatus(hub.db, 'needy')?.skipped.byReason.error).toBeGreaterThan(0);
    }, 6000, 100);
    hub.scheduler.stop();

    const busy = connectorStatus(hub.db, 'busy')?.skipped;
    expect(busy?.last).toMatchObject({ reason: 'overlap', slot: expect.stringMatching(/:\d\d\.000Z$/), message: expect.stringContaining('busy is already running') });
    expect(connectorStatus(hub.db, 'broke')?.skipped.last).toMatchObject({ reason: 'budget', message: expect.stringContaining('daily budget reached') });
    expect(connectorStatus(hub.db, 'needy')?.skipped.last).toMatchObject({ reason: 'error', message: expect.stringContaining('input "pr" is required') });
    expect(connectorStatuses(hub.db).find((c) => c.id === 'calm')?.skipped).toEqual({ count: 0, byReason: {}, last: null });

    const page = homePage(hubView(hub, metrics), new URLSearchParams());
    const busyRow = page.slice(page.indexOf('data-connector="busy"'), page.indexOf('</tr>', page.indexOf('data-connector="busy"')));
    expect(busyRow).toMatch(/<td class="skipped"><span class="pending">\d+<\/span> \(overlap \d+\)/);

    const text = await metrics.registry.metrics();
    expect(text).toMatch(/agent_hub_skipped_runs_total\{connector="busy",reason="overlap"\} [1-9]/);
    expect(text).toMatch(/agent_hub_skipped_runs_total\{connector="broke",reason="budget"\} [1-9]/);

    await hub.stop(0);
    const json = await cli(['status', '--json', '--repo', root]);
    const rows = JSON.parse(json.stdout).connectors as Array<{ id: string; skipped: { count: number; last: { reason: string } | null } }>;
    expect(rows.find((r) => r.id === 'busy')?.skipped.last?.reason).toBe('overlap');
    const plain = await cli(['status', '--repo', root]);
    expect(plain.stdout).toMatch(/busy: \d+ scheduled runs? skipped \(overlap \d+\); the last, for the slot of \S+, at \S+: overlap: busy is already running/);
    expect(plain.stdout).toMatch(/broke: \d+ scheduled runs? skipped \(budget \d+\)/);
  });

  it('the API, /metrics and the dashboard answer "why didn\'t it run?"', async () => {
    const root = testdir({ 'connectors/busy.yaml': yaml({ prompt: 'x\n@fake sleep 1.5', schedule: '* * * * * *' }) });
    const h = await startHubApp(root, fakeClaudeEnv().env);
    type Status = { id: string; skipped: { count: number; byReason: Record<string, number>; last: { reason: string; slot: string; message: string } | null } };
    await eventually(async () => expect((await h.request<Status>('/api/connectors/busy')).json.skipped.count).toBeGreaterThan(0), 6000, 100);
    const one = (await h.request<Status>('/api/connectors/busy')).json;
    expect(one.skipped.last).toMatchObject({ reason: 'overlap', message: expect.stringContaining('already running') });
    const all = (await h.request<{ connectors: Status[] }>('/api/connectors')).json.connectors;
    expect(all.find((c) => c.id === 'busy')?.skipped.byReason.overlap).toBeGreaterThan(0);
    expect((await h.request('/metrics')).text).toMatch(/agent_hub_skipped_runs_total\{connector="busy",reason="overlap"\} [1-9]/);
    expect((await h.request('/')).text).toMatch(/<td class="skipped"><span class="pending">\d+<\/span> \(overlap \d+\)/);
    expect(h.logs.some((l) => l.msg.startsWith('scheduled run skipped (overlap)') && l.connector === 'busy' && l.level === 'warn')).toBe(true);
  });
});
