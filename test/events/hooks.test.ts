import { describe, expect, it } from 'vitest';
import { createHmac, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gitdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startHubApp, type HubApp } from '../helpers/hub-app.js';
import type { Execution } from '../../src/registry/executions.js';
import { pruneEvents, runEvent } from '../../src/registry/events.js';

// GitHub and generic webhooks through the server's app, into a real hub on a real
// repository: signatures computed here as GitHub computes them, forged and replayed ones.
const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
const SECRET = 'gh-webhook-secret';
const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

function repo(files: Record<string, string> = {}) {
  return gitdir({
    '.gitignore': '.agent-hub/\n',
    'connectors/triage.yaml': yaml({
      on: { github: { events: ['issues'], actions: ['opened'] } }, concurrency: 'allow',
      prompt: 'Triage: {{event.payload.issue.title}} ({{event.name}}/{{event.action}})',
    }),
    'connectors/review.yaml': yaml({
      on: { github: { events: ['issue_comment'], command: '/review', repositories: ['acme/app'] } }, concurrency: 'allow',
      prompt: 'Review #{{event.payload.issue.number}}: {{event.command.args}}',
    }),
    'connectors/ingest.yaml': yaml({ on: { webhook: { secret: '${INGEST_SECRET}' }, rateLimit: { runs: 2, per: '1h' } }, concurrency: 'allow', prompt: 'Ingest {{event.payload.item}}' }),
    'connectors/plain.yaml': yaml({ prompt: 'no events here' }),
    ...files,
  });
}

const env = () => ({ ...fakeClaudeEnv().env, GITHUB_WEBHOOK_SECRET: SECRET, INGEST_SECRET: 'ingest-key' });

function github(h: HubApp, event: string, payload: unknown, o: { secret?: string; delivery?: string; signature?: string } = {}) {
  const body = JSON.stringify(payload);
  return h.request<Record<string, unknown>>('/hooks/github', {
    method: 'POST', body,
    headers: { 'x-github-event': event, 'x-github-delivery': o.delivery ?? randomUUID(), 'x-hub-signature-256': o.signature ?? sign(o.secret ?? SECRET, body), 'user-agent': 'GitHub-Hookshot/abc' },
  });
}

const issueOpened = { action: 'opened', issue: { number: 7, title: 'Login fails', labels: [] }, repository: { full_name: 'acme/app' } };

async function finished(h: HubApp, id: string): Promise<Execution> {
  return h.hub.executor.wait(id);
}

describe('POST /hooks/github', () => {
  it('starts the listening connector with the event in its template, answers 202 with the run, records trigger event and the delivery id', async () => {
    const h = await startHubApp(repo(), env());
    const delivery = randomUUID();
    const a = await github(h, 'issues', issueOpened, { delivery });
    expect(a.status).toBe(202);
    const runs = a.json.runs as Array<{ connector: string; id: string }>;
    expect(runs.map((r) => r.connector)).toEqual(['triage']);
    const e = await finished(h, (runs[0] as { id: string }).id);
    expect(e).toMatchObject({ status: 'success', trigger: 'event', deliveryId: delivery, renderedPrompt: 'Triage: Login fails (issues/opened)' });
    expect((await h.request(`/api/executions/${e.id}`)).json).toMatchObject({ trigger: 'event', deliveryId: delivery });
    // A connector added later listens from the next reconcile on.
    writeFileSync(path.join(h.hub.root, 'connectors/late.yaml'), yaml({ on: { github: { events: ['issues'] } }, prompt: 'late {{event.action}}' }));
    await h.hub.reconcile();
    const later = await github(h, 'issues', { ...issueOpened, issue: { ...issueOpened.issue, number: 8 } });
    expect((later.json.runs as Array<{ connector: string }>).map((r) => r.connector)).toEqual(['late', 'triage']);
  });

  it('a retry of an event run sees the same event and carries the same delivery id', async () => {
    const h = await startHubApp(repo({ 'connectors/flaky.yaml': yaml({
      on: { github: { events: ['issues'] } }, retry: { attempts: 2, backoff: { initial: '100ms' } },
      prompt: 'Flaky {{event.payload.issue.title}}\n@fake is_error overloaded',
    }) }), env());
    const delivery = randomUUID();
    const runs = (await github(h, 'issues', issueOpened, { delivery })).json.runs as Array<{ connector: string; id: string }>;
    const root = runs.find((r) => r.connector === 'flaky')?.id as string;
    const last = await h.hub.executor.waitFinal(root);
    expect(last).toMatchObject({ trigger: 'retry', attempt: 2, parentId: root, deliveryId: delivery, renderedPrompt: expect.stringContaining('Flaky Login fails') });
  });

  it('keeps event payloads a week and delivery ids a month', async () => {
    const h = await startHubApp(repo(), env());
    const delivery = randomUUID();
    const [run] = (await github(h, 'issues', issueOpened, { delivery })).json.runs as Array<{ id: string }>;
    await finished(h, (run as { id: string }).id);
    const day = 86_400_000;
    const keep = { payloadsMs: 7 * day, idsMs: 30 * day };
    expect(pruneEvents(h.hub.db, new Date(Date.now() + 6 * day), keep)).toBe(0);
    expect(runEvent(h.hub.db, (run as { id: string }).id)).toBeDefined();
    expect(pruneEvents(h.hub.db, new Date(Date.now() + 8 * day), keep)).toBe(1);
    expect(runEvent(h.hub.db, (run as { id: string }).id)).toBeUndefined();
    expect((await github(h, 'issues', issueOpened, { delivery })).status).toBe(409);
    // Its id and the digest of its signed body.
    expect(pruneEvents(h.hub.db, new Date(Date.now() + 31 * day), keep)).toBe(2);
    expect((await github(h, 'issues', issueOpened, { delivery })).status).toBe(202);
  });

  it('refuses forged, unsigned and replayed deliveries with clear 4xx answers, counted in /metrics, starting nothing', async () => {
    const h = await startHubApp(repo(), env());
    const forged = await github(h, 'issues', issueOpened, { secret: 'guessed' });
    expect(forged).toMatchObject({ status: 401, json: { error: expect.stringContaining('X-Hub-Signature-256') } });
    // A signature of another body does not carry over to this one.
    expect((await github(h, 'issues', issueOpened, { signature: sign(SECRET, '{}') })).status).toBe(401);
    expect((await github(h, 'issues', issueOpened, { signature: '' })).status).toBe(401);
    const delivery = randomUUID();
    expect((await github(h, 'issues', issueOpened, { delivery })).status).toBe(202);
    const replay = await github(h, 'issues', issueOpened, { delivery });
    expect(replay).toMatchObject({ status: 409, json: { error: expect.stringContaining('received before') } });
    const big = JSON.stringify({ ...issueOpened, pad: 'x'.repeat(1024 * 1024) });
    const tooLarge = await h.request('/hooks/github', { method: 'POST', body: big, headers: { 'x-github-event': 'issues', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(SECRET, big) } });
    expect(tooLarge.status).toBe(413);
    await eventually(async () => expect((await h.request<{ executions: Execution[] }>('/api/executions?connector=triage')).json.executions).toHaveLength(1));
    const metrics = (await h.request('/metrics')).text;
    expect(metrics).toContain('agent_hub_hook_requests_total{source="github",outcome="bad-signature"} 3');
    // Anyone can send forged deliveries: each kind is logged once at info, the rest at debug.
    expect(h.logs.filter((l) => l.level === 'info' && l.msg.startsWith('hook refused: X-Hub-Signature-256'))).toHaveLength(1);
    expect(h.logs.filter((l) => l.level === 'debug' && l.msg.startsWith('hook refused: X-Hub-Signature-256'))).toHaveLength(2);
    expect(metrics).toContain('agent_hub_hook_requests_total{source="github",outcome="replay"} 1');
    expect(metrics).toContain('agent_hub_hook_requests_total{source="github",outcome="too-large"} 1');
    expect(metrics).toContain('agent_hub_hook_requests_total{source="github",outcome="accepted"} 1');
  });

  it('refuses a captured delivery sent again under a new delivery id or event name: those headers are not signed, the body is', async () => {
    const h = await startHubApp(repo({ 'connectors/any.yaml': yaml({ on: { github: { events: ['issues', 'pull_request'] } }, concurrency: 'allow', prompt: 'any {{event.name}}' }) }), env());
    const first = await github(h, 'issues', issueOpened);
    expect(first.status).toBe(202);
    const again = await github(h, 'issues', issueOpened, { delivery: randomUUID() });
    expect(again).toMatchObject({ status: 409, json: { error: expect.stringContaining('same signed body'), runs: (first.json.runs as Array<{ id: string }>).map((r) => r.id) } });
    expect((await github(h, 'pull_request', issueOpened)).status).toBe(409);
    // A new event (another body) still runs.
    expect((await github(h, 'issues', { ...issueOpened, issue: { ...issueOpened.issue, number: 9 } })).status).toBe(202);
    await eventually(async () => expect((await h.request<{ executions: Execution[] }>('/api/executions?connector=any')).json.executions).toHaveLength(2));
  });

  it('filters by action, repository, command and the comment author (members only by default)', async () => {
    const h = await startHubApp(repo(), env());
    const ignored = await github(h, 'issues', { ...issueOpened, action: 'closed' });
    expect(ignored).toMatchObject({ status: 202, json: { runs: [], ignored: [{ connector: 'triage', reason: 'action closed is not listed' }] } });
    const comment = (body: string, association: string, repoName = 'acme/app') => ({ action: 'created', issue: { number: 12 }, comment: { body, author_association: association }, repository: { full_name: repoName } });
    expect((await github(h, 'issue_comment', comment('/review please', 'NONE'))).json.ignored).toEqual([{ connector: 'review', reason: "the author's association NONE may not start it" }]);
    expect((await github(h, 'issue_comment', comment('looks good', 'MEMBER'))).json.ignored).toEqual([{ connector: 'review', reason: 'the comment does not start with /review' }]);
    expect((await github(h, 'issue_comment', comment('/review now', 'OWNER', 'evil/fork'))).json.ignored).toEqual([{ connector: 'review', reason: 'repository evil/fork is not listed' }]);
    const started = await github(h, 'issue_comment', comment('/review focus on auth', 'COLLABORATOR'));
    const [run] = started.json.runs as Array<{ id: string }>;
    expect((await finished(h, (run as { id: string }).id)).renderedPrompt).toBe('Review #12: focus on auth');
    // Given explicitly, the list also filters who opened an issue or pull request.
    const h2 = await startHubApp(repo({ 'connectors/members.yaml': yaml({ on: { github: { events: ['pull_request'], authorAssociations: ['MEMBER'] } }, concurrency: 'allow', prompt: 'pr {{event.payload.pull_request.number}}' }) }), env());
    const pr = (association: string) => ({ action: 'opened', pull_request: { number: 3, author_association: association, base: { ref: 'main' } }, repository: { full_name: 'acme/app' } });
    expect((await github(h2, 'pull_request', pr('NONE'))).json.ignored).toEqual([{ connector: 'members', reason: "the author's association NONE may not start it" }]);
    expect((await github(h2, 'pull_request', pr('MEMBER'))).json.runs).toHaveLength(1);
    // A comment the hub posted itself (it carries the marker) never starts a run: no loops.
    expect((await github(h, 'issue_comment', comment('/review\n<!-- agent-hub:review -->', 'OWNER'))).json.runs).toEqual([]);
  });

  it('is closed until a secret is set, and pings are answered', async () => {
    const h = await startHubApp(repo(), { ...fakeClaudeEnv().env });
    expect(await github(h, 'issues', issueOpened)).toMatchObject({ status: 503, json: { error: expect.stringContaining('GITHUB_WEBHOOK_SECRET') } });
    const h2 = await startHubApp(repo({ 'hub.yaml': 'github: { webhookSecret: "${MY_SECRET}" }\n' }), { ...fakeClaudeEnv().env, MY_SECRET: 'other' });
    expect((await github(h2, 'ping', { zen: 'hi' }, { secret: 'other' })).status).toBe(200);
    expect((await github(h2, 'ping', { zen: 'hi' })).status).toBe(401);
  });

  it('must pass the Host check and refuses requests from web pages', async () => {
    const h = await startHubApp(repo(), env());
    const body = JSON.stringify(issueOpened);
    const headers = { 'x-github-event': 'issues', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(SECRET, body) };
    expect((await h.request('/hooks/github', { method: 'POST', body, headers: { ...headers, host: 'evil.example' } })).status).toBe(403);
    expect((await h.request('/hooks/github', { method: 'POST', body, headers: { ...headers, origin: 'https://evil.example' } })).status).toBe(403);
    expect((await h.request('/hooks/github', { headers })).status).toBe(405);
  });
});

describe('POST /hooks/<connector-id>', () => {
  const post = (h: HubApp, id: string, payload: unknown, headers: Record<string, string>) => h.request(`/hooks/${id}`, { method: 'POST', body: JSON.stringify(payload), headers });

  it('takes an HMAC-signed delivery once per Idempotency-Key, and rate-limits per connector', async () => {
    const h = await startHubApp(repo(), env());
    const body = { item: 'order-1' };
    const signed = (key: string, b: unknown = body) => ({ 'x-hub-signature-256': sign('ingest-key', JSON.stringify(b)), 'idempotency-key': key });
    const a = await post(h, 'ingest', body, signed('k1'));
    expect(a.status).toBe(202);
    const id = (a.json.runs as Array<{ id: string }>)[0]?.id as string;
    expect(await finished(h, id)).toMatchObject({ trigger: 'event', deliveryId: 'k1', renderedPrompt: 'Ingest order-1' });
    expect((await post(h, 'ingest', body, signed('k1'))).status).toBe(409);
    expect((await post(h, 'ingest', body, { ...signed('k2'), 'x-hub-signature-256': sign('wrong', JSON.stringify(body)) })).status).toBe(401);
    expect((await post(h, 'ingest', body, { 'x-hub-signature-256': signed('x')['x-hub-signature-256'] })).status).toBe(400);
    expect((await post(h, 'plain', body, signed('k3'))).status).toBe(404);
    expect((await post(h, 'nope', body, signed('k3'))).status).toBe(404);
    expect((await post(h, 'ingest', { item: 2 }, signed('k4', { item: 2 }))).status).toBe(202);
    const limited = await post(h, 'ingest', { item: 3 }, signed('k5', { item: 3 }));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    // The key is not signed: the same signed body under a new key is a replay.
    expect((await post(h, 'ingest', body, signed('k1-again'))).json).toMatchObject({ error: expect.stringContaining('same signed body') });
    // A refused delivery is not taken: sent again once there is room, it runs.
    expect((await post(h, 'ingest', { item: 3 }, signed('k5', { item: 3 }))).status).toBe(429);
    const metrics = (await h.request('/metrics')).text;
    expect(metrics).toContain('agent_hub_hook_requests_total{source="webhook",outcome="unknown-connector"} 2');
    expect(metrics).toContain('agent_hub_hook_requests_total{source="webhook",outcome="rate-limited"} 2');
  });

  it('refuses a payload nested deeper than any real one (it overflowed the stack after starting a run: 500, and each resend started another)', async () => {
    const h = await startHubApp(repo(), env());
    const n = 200_000;
    const body = `{"item":"deep","x":${'['.repeat(n)}${']'.repeat(n)}}`;
    const headers = { 'x-hub-signature-256': sign('ingest-key', body), 'idempotency-key': 'deep' };
    for (let i = 0; i < 2; i++) {
      const a = await h.request('/hooks/ingest', { method: 'POST', body, headers });
      expect(a).toMatchObject({ status: 400, json: { error: 'the body nests arrays and objects more than 64 levels deep' } });
    }
    // Brackets inside strings are text, not nesting.
    const text = { item: '['.repeat(1000) };
    expect((await post(h, 'ingest', text, { 'x-hub-signature-256': sign('ingest-key', JSON.stringify(text)), 'idempotency-key': 'text' })).status).toBe(202);
    expect((await h.request<{ executions: Execution[] }>('/api/executions?connector=ingest')).json.executions).toHaveLength(1);
  });

  it('takes a bearer token instead of a signature where one is declared', async () => {
    const h = await startHubApp(repo({ 'connectors/tok.yaml': yaml({ on: { webhook: { token: '${TOK}' } }, prompt: 'tok {{event.name}}' }) }), { ...env(), TOK: 'bearer-value' });
    expect((await post(h, 'tok', {}, { authorization: 'Bearer nope', 'idempotency-key': 'a' })).status).toBe(401);
    const ok = await post(h, 'tok', {}, { authorization: 'Bearer bearer-value', 'idempotency-key': 'a', 'x-event-name': 'deploy' });
    expect(ok.status).toBe(202);
    expect((await finished(h, (ok.json.runs as Array<{ id: string }>)[0]?.id as string)).renderedPrompt).toBe('tok deploy');
    // A bearer token signs no body: the same body under a new key is a new run.
    expect((await post(h, 'tok', {}, { authorization: 'Bearer bearer-value', 'idempotency-key': 'b' })).status).toBe(202);
  });
});
