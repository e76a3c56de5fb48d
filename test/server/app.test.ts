import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { git, gitdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startHubApp, type HubApp } from '../helpers/hub-app.js';

// The daemon's HTTP answers, asked in-process of a real hub on a real repository (no port):
// test/daemon/ keeps the few that need a process and a socket.
const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

function repo(files: Record<string, string> = {}) {
  return gitdir({
    '.gitignore': '.agent-hub/\n',
    'connectors/a.yaml': yaml({ prompt: 'a v1', schedule: '0 9 * * *' }),
    'connectors/slow.yaml': yaml({ prompt: 'x\n@fake sleep 30' }),
    'connectors/p.yaml': yaml({ inputs: { n: { type: 'integer' } }, prompt: 'n={{inputs.n}}' }),
    ...files,
  });
}

const runs = async (h: HubApp, headers: Record<string, string> = {}) => (await h.request<{ executions: unknown[] }>('/api/executions', { headers })).json.executions;

describe('the API answers', () => {
  it('with proper status codes, and enforces the bearer token for mutating calls', async () => {
    const h = await startHubApp(repo({ 'connectors/q.yaml': yaml({ inputs: { n: { type: 'integer', required: true } }, prompt: 'n={{inputs.n}}' }) }), { ...fakeClaudeEnv().env, AGENT_HUB_TOKEN: 'sekrit-token' });
    const auth = { authorization: 'Bearer sekrit-token' };
    expect((await h.request('/api/connectors/q/run', { method: 'POST', body: '{"inputs":{"n":1}}' })).status).toBe(401);
    expect((await h.request('/api/connectors/q/run', { method: 'POST', headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await h.request('/api/connectors/nope/run', { method: 'POST', headers: auth })).status).toBe(404);
    const bad = await h.request<{ error: string; details: string[] }>('/api/connectors/q/run', { method: 'POST', headers: auth, body: '{"inputs":{"n":"x"}}' });
    expect(bad.status).toBe(400);
    expect(bad.json.details).toEqual(['input "n" must be integer, got "x"']);
    expect((await h.request('/api/connectors/q/run', { method: 'POST', headers: auth, body: '{"inputs":[1]}' })).json).toEqual({ error: '"inputs" must be an object' });
    expect((await h.request('/api/connectors/q/run', { method: 'POST', headers: auth, body: 'n=1' })).json).toMatchObject({ error: expect.stringContaining('the body must be a JSON object') });
    expect((await h.request('/api/connectors/q/run', { method: 'POST', headers: auth, body: `{"inputs":{"n":1},"pad":"${'x'.repeat(1024 * 1024)}"}` })).status).toBe(413);
    expect((await h.request('/api/connectors/slow/run', { method: 'POST', headers: auth })).status).toBe(202);
    const refused = await h.request<{ reason: string }>('/api/connectors/slow/run', { method: 'POST', headers: auth });
    expect(refused).toMatchObject({ status: 409, json: { reason: 'overlap' } });
    expect((await h.request('/api/executions?status=weird')).status).toBe(400);
    expect((await h.request('/api/executions?limit=0')).json).toEqual({ error: 'limit must be an integer from 1 to 1000' });
    expect((await h.request('/api/executions/nope')).status).toBe(404);
    expect((await h.request('/runs/nope')).status).toBe(404);
    expect((await h.request('/api/connectors/a')).status).toBe(200);
    expect((await h.request('/api/connectors/nope')).json).toEqual({ error: 'no connector "nope"' });
    expect((await h.request('/api/nothing')).json).toEqual({ error: 'no such endpoint: /api/nothing' });
    expect((await h.request('/api/connectors', { method: 'DELETE', headers: auth })).json).toEqual({ error: 'DELETE is not allowed on /api/connectors' });
    expect((await h.request('/api/reconcile', { method: 'POST', headers: auth })).status).toBe(200);
    const metrics = (await h.request('/metrics')).text;
    expect(metrics).toContain('agent_hub_running_runs 1');
    expect(metrics).toContain('agent_hub_connectors{state="active"} 4');
    expect(metrics).toContain('agent_hub_reconcile_duration_seconds_count');

    // A stopping hub takes no new runs: 503, so a client retries elsewhere or later.
    await h.hub.stop(0);
    expect(await h.request('/api/connectors/p/run', { method: 'POST', headers: auth })).toMatchObject({ status: 503, json: { reason: 'stopping' } });
  });

  it('a run page says which file saveTo wrote', async () => {
    const h = await startHubApp(repo({ 'connectors/report.yaml': yaml({ prompt: 'r\n@fake result # Report', output: { saveTo: 'reports/{{connector.id}}.md' } }) }), fakeClaudeEnv().env);
    const queued = await h.request<{ id: string }>('/api/connectors/report/run', { method: 'POST', body: '{}' });
    await h.hub.executor.wait(queued.json.id);
    expect((await h.request(`/runs/${queued.json.id}`)).text).toContain('<dd id="saved-to"><code>reports/report.md</code></dd>');
  });

  it('a run refused for the daily budget is recorded as failed: 409 with its id', async () => {
    const h = await startHubApp(repo({ 'connectors/b.yaml': yaml({ prompt: 'b', budget: { maxCostUsdPerDay: 0.001 } }) }), fakeClaudeEnv().env);
    const first = await h.request<{ id: string }>('/api/connectors/b/run', { method: 'POST' });
    await eventually(async () => expect((await h.request(`/api/executions/${first.json.id}`)).json.status).toBe('success'));
    const second = await h.request<{ id: string; reason: string; error: string }>('/api/connectors/b/run', { method: 'POST' });
    expect(second).toMatchObject({ status: 409, json: { reason: 'budget', error: expect.stringContaining('daily budget reached') } });
    expect((await h.request(`/api/executions/${second.json.id}`)).json).toMatchObject({ status: 'failed', errorKind: 'budget' });
  });

  it('/api/reconcile says what it applied and which files are invalid', async () => {
    const root = repo();
    const h = await startHubApp(root, fakeClaudeEnv().env);
    writeFileSync(path.join(root, 'connectors/broken.yaml'), 'prompt: hi\nschedule: "61 * * * *"\n');
    writeFileSync(path.join(root, 'connectors/new.yaml'), yaml({ prompt: 'new' }));
    const r = await h.request<{ applied: boolean; counts: Record<string, number>; invalid: Array<{ file: string; diagnostics: Array<{ message: string }> }> }>('/api/reconcile', { method: 'POST' });
    expect(r.json).toMatchObject({ applied: true, counts: { create: 1, invalid: 1, unchanged: 3 } });
    expect(r.json.invalid.map((i) => i.file)).toEqual(['connectors/broken.yaml']);
    expect(r.json.invalid[0]?.diagnostics[0]?.message).toContain('minute: 61');
    const listed = await h.request<{ connectors: Array<{ id: string; nextRun: string | null }>; invalidFiles: Array<{ path: string }> }>('/api/connectors');
    expect(listed.json.invalidFiles.map((f) => f.path)).toEqual(['connectors/broken.yaml']);
    expect(listed.json.connectors.find((c) => c.id === 'a')?.nextRun).toMatch(/T09:00:00\.000Z$/);
    expect((await h.request<{ template: string }>('/api/connectors/a')).json.template).toBe('a v1');
  });

  it('/healthz and /metrics show state that cannot be committed, and recover with it', async () => {
    const root = repo({ 'hub.yaml': 'state:\n  commitInterval: 200ms\n' });
    const hook = path.join(root, '.git/hooks/pre-commit');
    writeFileSync(hook, '#!/bin/sh\necho "no commits on Fridays" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const h = await startHubApp(root, fakeClaudeEnv().env);
    expect((await h.request('/healthz')).json).toEqual({ status: 'ok', reasons: [], running: 0, queued: 0, storage: null, git: expect.objectContaining({ pending: 0, failing: {} }) });
    const run = await h.request<{ id: string }>('/api/connectors/a/run', { method: 'POST' });
    await eventually(async () => {
      const health = (await h.request<{ status: string; git: { pending: number; failing: { commit?: { error: string } } } }>('/healthz')).json;
      // The run's record and its transcript.
      expect(health).toMatchObject({ status: 'degraded', git: { pending: 2 } });
      expect(health.git.failing.commit?.error).toContain('no commits on Fridays');
    }, 5000);
    const failing = (await h.request('/metrics')).text;
    expect(failing).toContain('agent_hub_git_failing{operation="commit"} 1');
    expect(failing).toContain('agent_hub_git_pending_files 2');
    expect(failing).toContain('agent_hub_degraded 1');
    const page = (await h.request('/')).text;
    expect(page).toContain('State in git: 2 files waiting');
    expect(page).toMatch(/<pre class="err" data-failing="commit">git commit failing since <time datetime="[^"]+Z">[^<]+ UTC<\/time>: the pre-commit hook rejected the state commit: no commits on Fridays/);

    writeFileSync(hook, '#!/bin/sh\nexit 0\n');
    await eventually(async () => expect((await h.request('/healthz')).json).toMatchObject({ status: 'ok', git: { pending: 0, failing: {} } }), 5000);
    const fine = (await h.request('/metrics')).text;
    expect(fine).toContain('agent_hub_git_failing{operation="commit"} 0');
    expect(fine).toMatch(/^agent_hub_last_successful_commit_timestamp_seconds [1-9]\d*/m);
    expect(git(root, 'log', '-1', '--format=%B')).toContain(`Agent-Hub-Run: ${run.json.id} a success`);
  });
});

describe('who can reach the API', () => {
  it('without a token: a web page cannot start runs or reconcile, a foreign Host is refused, curl and listed names work', async () => {
    const h = await startHubApp(repo({ 'hub.yaml': 'server:\n  allowedHosts: [hub.internal.example]\n' }), fakeClaudeEnv().env);
    const port = '7420';
    const evil = { origin: 'http://evil.example', 'content-type': 'text/plain' };
    const post = (path: string, headers: Record<string, string>, body?: string) => h.request(path, { method: 'POST', headers, ...(body !== undefined ? { body } : {}) });

    // A cross-site form or fetch(no-cors): text/plain, a foreign Origin; through DNS rebinding also a foreign Host.
    const forged: Array<Record<string, string>> = [{ ...evil, host: `evil.example:${port}` }, evil, { ...evil, 'content-type': 'application/json' }, { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, { 'content-type': 'application/json', origin: 'null' }, { 'content-type': 'text/plain' }];
    for (const headers of forged) {
      const r = await post('/api/connectors/p/run', headers, '{"inputs":{"n":666}}');
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(String(r.json.error)).not.toBe('');
    }
    const rebound = await post('/api/connectors/p/run', { ...evil, host: `evil.example:${port}` }, '{}');
    expect(rebound.json.error).toContain('"evil.example"');
    expect(rebound.json.error).toContain('server.allowedHosts');
    expect((await post('/api/connectors/p/run', evil)).json.error).toContain('http://evil.example');
    expect((await post('/api/connectors/p/run', { 'content-type': 'text/plain' })).json.error).toContain('application/json');
    expect((await post('/api/reconcile', { ...evil, 'content-type': 'application/json' })).status).toBe(403);
    expect((await post('/api/reconcile', { ...evil, host: `evil.example:${port}` })).status).toBe(403);
    expect(await runs(h)).toEqual([]);

    // Reads, the dashboard and the probes under a rebound name: refused too.
    for (const path of ['/api/executions', '/', '/healthz', '/metrics', '/nope']) expect((await h.request(path, { headers: { host: `evil.example:${port}` } })).status, path).toBe(403);
    // The operator hears of it once, not once per request.
    expect(h.logs.filter((l) => l.msg.startsWith('request refused: requests for host "evil.example"') && l.level === 'warn')).toMatchObject([{ host: `evil.example:${port}` }]);

    // curl (no Origin), the dashboard's own origin, loopback names, a name listed in hub.yaml.
    const ok = await post('/api/connectors/p/run', { 'content-type': 'application/json; charset=utf-8' }, '{"inputs":{"n":1}}');
    expect(ok.status).toBe(202);
    await eventually(async () => expect((await h.request(`/api/executions/${String(ok.json.id)}`)).json.status).toBe('success'), 5000);
    expect((await post('/api/reconcile', { 'content-type': 'application/json', origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    for (const host of [`localhost:${port}`, 'localhost', `[::1]:${port}`, `hub.internal.example:${port}`, 'HUB.internal.example.']) {
      expect((await h.request('/api/connectors', { headers: { host } })).status, host).toBe(200);
    }
    expect((await post('/api/reconcile', { host: 'hub.internal.example', origin: 'https://hub.internal.example', 'content-type': 'application/json' })).status).toBe(200);
    expect(await runs(h)).toHaveLength(1);
  });

  it('no other site may frame the dashboard (clickjacking its Run now, Pause and Resume buttons)', async () => {
    const h = await startHubApp(repo(), fakeClaudeEnv().env);
    for (const path of ['/', '/connectors/p', '/api/executions']) {
      const a = await h.request(path);
      expect(a.status, path).toBe(200);
      expect(a.headers.get('x-frame-options'), path).toBe('DENY');
      expect(a.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
    }
    // Pages run their own script and style only, named by hash: what the page holds must be what the policy allows.
    const page = await h.request('/connectors/p');
    const csp = page.headers.get('content-security-policy') ?? '';
    const hash = (tag: string) => `'sha256-${createHash('sha256').update(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(page.text)?.[1] ?? '').digest('base64')}'`;
    expect(csp).toContain(`script-src ${hash('script')}`);
    expect(csp).toContain(`style-src ${hash('style')}`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
  });

  it('reads behind a token: Bearer or a browser password for pages, the read token opens reads only', async () => {
    const h = await startHubApp(repo({ 'hub.yaml': 'server:\n  protectReads: true\n' }), { ...fakeClaudeEnv().env, AGENT_HUB_TOKEN: 'admin-secret', AGENT_HUB_READ_TOKEN: 'reader-secret' });
    const bearer = { authorization: 'Bearer admin-secret' };
    const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`me:${password}`).toString('base64')}` });

    // A token does not make a rebound Host acceptable.
    expect((await h.request('/api/executions', { headers: { ...bearer, host: 'evil.example:7420' } })).status).toBe(403);

    for (const path of ['/api/executions', '/api/connectors', '/metrics', '/', '/runs/x']) {
      const anonymous = await h.request(path);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="agent-hub", charset="UTF-8"');
      expect((await h.request(path, { headers: basic('wrong') })).status, path).toBe(401);
    }
    expect((await h.request('/api/executions', { headers: bearer })).status).toBe(200);
    expect((await h.request('/api/executions', { headers: basic('admin-secret') })).status).toBe(200);
    expect((await h.request('/api/executions', { headers: { authorization: 'Bearer reader-secret' } })).status).toBe(200);
    const page = await h.request('/', { headers: basic('reader-secret') });
    expect(page.status).toBe(200);
    expect(page.text).toContain('Connectors and runs');
    expect((await h.request('/metrics', { headers: { authorization: 'Bearer reader-secret' } })).text).toContain('agent_hub_running_runs');

    // A probe learns only whether the hub is up.
    expect((await h.request('/healthz')).json).toEqual({ status: 'ok' });
    expect((await h.request('/healthz', { headers: bearer })).json).toMatchObject({ status: 'ok', running: 0 });

    // Starting runs: the admin token as Bearer only (a browser's remembered password or the read token never do).
    const anonymousPost = await h.request('/api/connectors/p/run', { method: 'POST' });
    expect(anonymousPost.status).toBe(401);
    expect(anonymousPost.headers.get('www-authenticate')).toBe('Bearer realm="agent-hub"');
    expect((await h.request('/api/connectors/p/run', { method: 'POST', headers: basic('admin-secret') })).status).toBe(401);
    expect((await h.request('/api/connectors/p/run', { method: 'POST', headers: { authorization: 'Bearer reader-secret' } })).status).toBe(401);
    expect(await runs(h, bearer)).toEqual([]);
    expect((await h.request('/api/connectors/p/run', { method: 'POST', headers: bearer })).status).toBe(202);
    expect(await runs(h, bearer)).toHaveLength(1);
  });
});
