import { describe, expect, it } from 'vitest';
import { testdir } from '../helpers/repo.js';
import { fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startHubApp } from '../helpers/hub-app.js';
import { insertExecution } from '../../src/registry/executions.js';
import { getConnector } from '../../src/registry/connectors.js';

describe('the dashboard\'s runs', () => {
  it('are filtered by connector, status and trigger, and paged 50 at a time', async () => {
    const h = await startHubApp(testdir({ 'connectors/a.yaml': JSON.stringify({ prompt: 'x' }), 'connectors/b.yaml': JSON.stringify({ prompt: 'y' }) }), fakeClaudeEnv().env);
    const specHash = getConnector(h.hub.db, 'a')?.specHash as string;
    for (let i = 0; i < 60; i++) {
      insertExecution(h.hub.db, {
        id: `20261126-0000${String(i).padStart(2, '0')}-a`, connectorId: i % 2 ? 'a' : 'b', trigger: i % 3 ? 'api' : 'schedule', attempt: 1, parentId: null,
        specHash, gitCommit: null, scheduledFor: null, inputs: {}, createdAt: new Date(Date.UTC(2026, 10, 26, 0, 0, i)),
      });
    }
    const first = (await h.request('/')).text;
    expect(first).toContain('<h2>Runs (60)</h2>');
    expect(first).toContain('1–50 of 60');
    expect(first).toMatch(/<a href="\/\?offset=50" id="older">/);
    expect((first.match(/<tr data-run=/g) ?? []).length).toBe(50);
    const second = (await h.request('/?offset=50')).text;
    expect(second).toContain('51–60 of 60');
    expect(second).toContain('id="newer"');
    expect(second).toContain('data-run="20261126-000000-a"'); // the oldest, last
    const filtered = (await h.request('/?connector=a&trigger=schedule')).text;
    // Odd i (connector a) that are multiples of 3: 3, 9, …, 57.
    expect(filtered).toContain('<h2>Runs (10)</h2>');
    expect(filtered).not.toContain('id="older"');
  });
});
