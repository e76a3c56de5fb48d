import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { testdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startHubApp } from '../helpers/hub-app.js';
import { localTranscriptPath } from '../../src/execute/transcript-files.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
const ids = (text: string) => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));

describe('live run events (SSE)', () => {
  it('a viewer joining a running run after Last-Event-ID gets every later step once, live, up to the end', async () => {
    const prompt = ['x', '@fake tool Bash {"command":"one"}', '@fake tool Bash {"command":"two"}', '@fake tool Bash {"command":"three"}', '@fake pause 0.3'].join('\n');
    const h = await startHubApp(testdir({ 'connectors/slow.yaml': yaml({ prompt }) }), fakeClaudeEnv().env);
    const run = await h.request<{ id: string }>('/api/connectors/slow/run', { method: 'POST' });
    const file = localTranscriptPath(h.hub.root, run.json.id);
    // Two steps happened (init, the first tool call); the rest are still to come.
    await eventually(() => expect(existsSync(file) && readFileSync(file, 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(2), 5000);
    expect(h.hub.executor.active).toBe(1);
    const resumed = await h.request(`/api/executions/${run.json.id}/events`, { headers: { 'last-event-id': '2' } });
    expect(resumed.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const got = ids(resumed.text);
    const total = readFileSync(file, 'utf8').trim().split('\n').length;
    expect(got).toEqual(Array.from({ length: total - 2 }, (_, i) => i + 3));
    expect(resumed.text).toMatch(/event: end\ndata: \{"kind":"end","status":"success"/);
    expect(resumed.text).toContain('"command":"three"');
    // Unknown runs are 404, like the run itself.
    expect((await h.request('/api/executions/nope/events')).status).toBe(404);
  });
});
