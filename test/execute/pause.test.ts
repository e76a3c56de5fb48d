import { describe, expect, it } from 'vitest';
import { testdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startHubApp } from '../helpers/hub-app.js';
import { listExecutions } from '../../src/registry/executions.js';
import { hubWith } from '../helpers/hub.js';
import { pauseConnector } from '../../src/registry/pauses.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

describe('a paused connector', () => {
  it('skips its scheduled slots as "paused" until resumed, and says who paused it in the API and /metrics', async () => {
    const root = testdir({ 'connectors/tick.yaml': yaml({ prompt: 'x', schedule: '* * * * * *' }) });
    const h = await startHubApp(root, fakeClaudeEnv().env);
    const paused = await h.request<{ by: string; reason: string }>('/api/connectors/tick/pause', { method: 'POST', body: JSON.stringify({ by: 'oncall', reason: 'runaway' }) });
    expect(paused).toMatchObject({ status: 200, json: { by: 'oncall', reason: 'runaway' } });
    const before = listExecutions(h.hub.db, { connectorId: 'tick', limit: 1000 }).length;
    type Status = { paused: { by: string } | null; skipped: { byReason: Record<string, number>; last: { message: string } | null } };
    await eventually(async () => expect((await h.request<Status>('/api/connectors/tick')).json.skipped.byReason.paused).toBeGreaterThan(1), 6000, 100);
    const status = (await h.request<Status>('/api/connectors/tick')).json;
    expect(status.paused).toMatchObject({ by: 'oncall' });
    expect(status.skipped.last?.message).toContain('tick is paused by oncall');
    // No run started while paused (one may have been queued just before the pause).
    expect(listExecutions(h.hub.db, { connectorId: 'tick', limit: 1000 }).length).toBeLessThanOrEqual(before + 1);
    expect((await h.request('/metrics')).text).toMatch(/agent_hub_skipped_runs_total\{connector="tick",reason="paused"\} [1-9]/);
    expect((await h.request('/api/connectors/tick/resume', { method: 'POST' })).json).toMatchObject({ paused: false, was: { by: 'oncall' } });
    await eventually(() => expect(listExecutions(h.hub.db, { connectorId: 'tick', status: 'success', limit: 1000 }).length).toBeGreaterThan(0), 6000, 100);
  });

  it('a retry due while its connector is paused does not run: it is recorded as cancelled, saying why', async () => {
    const { hub } = await hubWith({ 'connectors/flaky.yaml': yaml({ prompt: 'x\n@fake is_error overloaded', retry: { attempts: 3, backoff: { initial: '300ms' } } }) });
    const r = hub.run('flaky', {});
    if (r.status !== 'queued') throw new Error(r.status);
    await hub.executor.wait(r.id);
    pauseConnector(hub.db, { connectorId: 'flaky', by: 'oncall', at: new Date(), reason: 'stop it' });
    const last = await hub.executor.waitFinal(r.id);
    expect(last).toMatchObject({ trigger: 'retry', attempt: 2, status: 'failed', errorKind: 'cancelled' });
    expect(last.error).toContain('dropped: flaky is paused by oncall');
    expect(last.startedAt).toBeNull();
  });
});
