import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gitdir, testdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startHubApp } from '../helpers/hub-app.js';
import { githubStandin, webhookReceiver } from '../helpers/standins.js';
import { openAlerts } from '../../src/registry/alerts.js';
import { recordSlot } from '../../src/registry/executions.js';
import { outboxCounts } from '../../src/registry/outbox.js';

// hub.yaml notify: one alert per incident, one recovery message, whatever happens between.
const TOKEN = 'ghp_alerts';

describe('alerts', () => {
  it('50 failing runs open one alert; the next success sends one recovery message', async () => {
    const hook = await webhookReceiver();
    const gh = await githubStandin(TOKEN);
    const flag = path.join(testdir(), 'ok');
    const root = gitdir({
      '.gitignore': '.agent-hub/\n',
      'hub.yaml': [
        'deliveries: { backoff: 50ms }',
        `github: { apiUrl: "${gh.url}" }`,
        `notify: { targets: [{ type: webhook, url: "${hook.url}/chat", slack: true }, { type: webhook, url: "${hook.url}/json" }, { type: github-issue, repository: acme/ops }] }`,
        '',
      ].join('\n'),
      'connectors/flaky.yaml': JSON.stringify({ prompt: 'x', agent: { type: 'command', command: ['node', '-e', `process.exit(require('fs').existsSync(${JSON.stringify(flag)}) ? 0 : 3)`] } }),
    });
    const h = await startHubApp(root, { ...fakeClaudeEnv().env, GITHUB_TOKEN: TOKEN });
    for (let i = 0; i < 50; i++) {
      const r = h.hub.run('flaky', {}, 'manual') as { id: string };
      expect((await h.hub.executor.wait(r.id)).status).toBe('failed');
    }
    expect(openAlerts(h.hub.db)).toMatchObject([{ key: 'flaky:run-failed', count: 50 }]);
    writeFileSync(flag, '');
    const ok = h.hub.run('flaky', {}, 'manual') as { id: string };
    expect((await h.hub.executor.wait(ok.id)).status).toBe('success');
    await eventually(() => {
      expect(hook.requests.filter((r) => r.path === '/chat')).toHaveLength(2);
      expect(hook.requests.filter((r) => r.path === '/json')).toHaveLength(2);
      expect(gh.issues.get('acme/ops')?.[0]?.body).toContain('recovered');
    }, 10_000);
    const chat = hook.requests.filter((r) => r.path === '/chat').map((r) => (JSON.parse(r.body) as { text: string }).text);
    expect(chat[0]).toMatch(/^agent-hub: flaky is failing: run \S+ failed \(agent-error\)/);
    expect(chat[1]).toMatch(/^agent-hub: flaky recovered: run \S+ succeeded after 50 failed or skipped$/);
    expect(JSON.parse(hook.requests.find((r) => r.path === '/json')?.body ?? '{}')).toMatchObject({ alert: { rule: 'run-failed', subject: 'flaky', state: 'open' } });
    // The GitHub target opened one issue and closed it on recovery.
    expect(gh.issues.get('acme/ops')).toHaveLength(1);
    expect(gh.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(JSON.parse(gh.requests.filter((r) => r.method === 'PATCH').pop()?.body ?? '{}')).toMatchObject({ state: 'closed' });
    expect(openAlerts(h.hub.db)).toEqual([]);
  });

  it('a spent daily budget is its own incident, and notify.on picks the rules that alert', async () => {
    const hook = await webhookReceiver();
    const root = gitdir({
      '.gitignore': '.agent-hub/\n',
      'hub.yaml': `deliveries: { backoff: 50ms }\nnotify: { targets: [{ type: webhook, url: "${hook.url}/a" }], on: [budget-reached] }\n`,
      'connectors/spender.yaml': JSON.stringify({ prompt: 'x', budget: { maxCostUsdPerDay: 0.001 } }),
      'connectors/broken.yaml': JSON.stringify({ prompt: 'x\n@fake exit 2' }),
    });
    const h = await startHubApp(root, fakeClaudeEnv().env);
    const first = h.hub.run('spender', {}, 'manual') as { id: string };
    await h.hub.executor.wait(first.id);
    for (let i = 0; i < 3; i++) expect(h.hub.run('spender', {}, 'manual').status).toBe('failed');
    const broken = h.hub.run('broken', {}, 'manual') as { id: string };
    expect((await h.hub.executor.wait(broken.id)).status).toBe('failed'); // run-failed is not in notify.on
    await eventually(() => expect(hook.requests).toHaveLength(1), 10_000);
    expect(JSON.parse(hook.requests[0]?.body ?? '{}')).toMatchObject({ alert: { rule: 'budget-reached', subject: 'spender', state: 'open', message: expect.stringContaining('daily budget reached') } });
    expect(openAlerts(h.hub.db).map((a) => [a.key, a.count])).toEqual([['spender:budget-reached', 3]]);
  });

  it('a start after downtime says which scheduled runs were missed, once', async () => {
    const hook = await webhookReceiver();
    const root = gitdir({
      '.gitignore': '.agent-hub/\n',
      'hub.yaml': `deliveries: { backoff: 50ms }\nnotify: { targets: [{ type: webhook, url: "${hook.url}/a", slack: true }] }\n`,
      'connectors/hourly.yaml': JSON.stringify({ prompt: 'x', schedule: '0 * * * *' }),
      'connectors/caught.yaml': JSON.stringify({ prompt: 'x', schedule: '0 * * * *', catchUp: '1d' }),
    });
    const first = await startHubApp(root, fakeClaudeEnv().env);
    const threeHoursAgo = new Date(Date.now() - 3 * 3600_000);
    recordSlot(first.hub.db, 'hourly', threeHoursAgo);
    recordSlot(first.hub.db, 'caught', threeHoursAgo);
    await first.hub.stop(0);
    const h = await startHubApp(root, fakeClaudeEnv().env);
    await eventually(() => expect(hook.requests).toHaveLength(1), 10_000);
    expect(JSON.parse(hook.requests[0]?.body ?? '{}').text).toMatch(/^agent-hub: hourly missed its scheduled run of \S+ \(the hub was not running/);
    expect(openAlerts(h.hub.db).map((a) => a.key)).toEqual(['hourly:schedule-missed']);
    await h.hub.stop(0);
    // Still missed at the next start: the same incident, counted, not sent again.
    const again = await startHubApp(root, fakeClaudeEnv().env);
    expect(openAlerts(again.hub.db)).toMatchObject([{ key: 'hourly:schedule-missed', count: 2 }]);
    expect(outboxCounts(again.hub.db)).toEqual({ sent: 1 });
  });
});
