import { describe, expect, it } from 'vitest';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import path from 'node:path';
import { gitdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startHubApp, type HubApp } from '../helpers/hub-app.js';
import { githubStandin, webhookReceiver } from '../helpers/standins.js';
import { pruneOutbox, runDeliveries } from '../../src/registry/outbox.js';
import { cli } from '../helpers/cli.js';

// Deliveries through the outbox to loopback stand-ins: a GitHub API that checks the token
// and keeps comments and issues, and a webhook receiver.
const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
const SECRET = 'hook-secret';
const TOKEN = 'ghp_standin_token_value';
const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

async function github(h: HubApp, event: string, payload: unknown) {
  const body = JSON.stringify(payload);
  const a = await h.request('/hooks/github', { method: 'POST', body, headers: { 'x-github-event': event, 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(body) } });
  expect(a.status).toBe(202);
  return (a.json.runs as Array<{ id: string }>).map((r) => r.id);
}

const opened = (n: number, title: string) => ({ action: 'opened', issue: { number: n, title }, repository: { full_name: 'acme/app' } });

describe('deliver:', () => {
  it('comments on the triggering issue with the hub\'s token, and with update: true edits its own comment instead of adding one', async () => {
    const gh = await githubStandin(TOKEN);
    const repo = gitdir({
      '.gitignore': '.agent-hub/\n',
      'hub.yaml': `github: { apiUrl: "${gh.url}" }\ndeliveries: { backoff: 50ms }\n`,
      'connectors/triage.yaml': yaml({
        on: { github: { events: ['issues'], actions: ['opened', 'edited'] } }, concurrency: 'allow',
        prompt: 'Triage {{event.payload.issue.title}}\n@fake result {{event.payload.issue.title}} <!-- agent-hub:triage -->', deliver: [{ type: 'github-comment', update: true }, { type: 'github-comment' }],
      }),
    });
    const h = await startHubApp(repo, { ...fakeClaudeEnv().env, GITHUB_WEBHOOK_SECRET: SECRET, GITHUB_TOKEN: TOKEN });
    const [first] = await github(h, 'issues', opened(5, 'Crash on save'));
    await h.hub.executor.wait(first as string);
    await eventually(() => expect(gh.comments.get('acme/app#5')).toHaveLength(2), 10_000);
    const [second] = await github(h, 'issues', { ...opened(5, 'Crash on save, again'), action: 'edited' });
    await h.hub.executor.wait(second as string);
    await eventually(() => expect(runDeliveries(h.hub.db, second as string).every((d) => d.status === 'sent')).toBe(true), 10_000);
    const bodies = (gh.comments.get('acme/app#5') ?? []).map((c) => c.body);
    // The updating delivery kept one comment (now the second run's), the other added one per run.
    expect(bodies).toHaveLength(3);
    // The agent printed the hub's marker itself: defused, so its output cannot pass for the hub's comment.
    expect(bodies.filter((b) => b.includes('<!-- agent-hub:triage -->'))).toEqual([expect.stringContaining('Crash on save, again <!-- (quoted) agent-hub:triage -->')]);
    expect(gh.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    // The token is the hub's: never in the registry, never handed to the agent.
    expect(readFileSync(path.join(repo, '.agent-hub/hub.db')).includes(TOKEN)).toBe(false);
    // The run's page lists its deliveries with their status, and no credential.
    const page = (await h.request(`/runs/${second as string}`)).text;
    expect(page).toMatch(/<table id="deliveries">[\s\S]*<td>github-comment<\/td><td>acme\/app#5<\/td><td class="success">sent<\/td>/);
    expect(page).not.toContain(TOKEN);
  });

  it('opens an issue keyed by its title, then updates that issue; a failing receiver is retried with backoff, each attempt recorded', async () => {
    const gh = await githubStandin(TOKEN);
    const hook = await webhookReceiver();
    const repo = gitdir({
      '.gitignore': '.agent-hub/\n',
      'hub.yaml': `github: { apiUrl: "${gh.url}", token: "\${BOT_TOKEN}" }\ndeliveries: { backoff: 50ms }\n`,
      'connectors/report.yaml': yaml({
        prompt: 'Weekly report', output: { format: 'json', schema: { type: 'object', required: ['body'], properties: { body: { type: 'string' }, labels: { type: 'array' } } } },
        agent: { type: 'command', command: ['node', '-e', 'process.stdout.write(JSON.stringify({ body: "All green " + "x".repeat(300), labels: ["report"] }))'] },
        deliver: [
          { type: 'github-issue', repository: 'acme/ops', title: 'Weekly report for {{connector.id}}', fromResult: true, maxBodyBytes: 200 },
          { type: 'webhook', url: `${hook.url}/slack`, slack: true },
        ],
      }),
    });
    const h = await startHubApp(repo, { ...fakeClaudeEnv().env, BOT_TOKEN: TOKEN });
    hook.failNext(2);
    const first = h.hub.run('report', {}, 'manual');
    expect(first.status).toBe('queued');
    const id = (first as { id: string }).id;
    await h.hub.executor.wait(id);
    await eventually(() => expect(runDeliveries(h.hub.db, id).map((d) => d.status)).toEqual(['sent', 'sent']), 10_000);
    const issue = gh.issues.get('acme/ops')?.[0];
    expect(issue).toMatchObject({ number: 1, title: 'Weekly report for report', labels: ['report'] });
    expect(Buffer.byteLength((issue as { body: string }).body)).toBeLessThan(300);
    expect(issue?.body).toContain('[cut by agent-hub');
    const slack = runDeliveries(h.hub.db, id)[1];
    expect(slack?.history.map((a) => a.outcome)).toEqual(['failed', 'failed', 'sent']);
    expect(slack?.history[0]?.detail).toContain('HTTP 503');
    const posts = hook.requests.filter((r) => r.path === '/slack');
    expect(JSON.parse(posts[2]?.body ?? '{}')).toEqual({ text: expect.stringContaining('All green') });
    // Retries of one delivery carry one Idempotency-Key.
    expect(new Set(posts.map((r) => r.headers['idempotency-key'])).size).toBe(1);

    const again = h.hub.run('report', {}, 'manual') as { id: string };
    await h.hub.executor.wait(again.id);
    await eventually(() => expect(runDeliveries(h.hub.db, again.id).map((d) => d.status)).toEqual(['sent', 'sent']), 10_000);
    expect(gh.issues.get('acme/ops')).toHaveLength(1);
    expect((await h.request('/metrics')).text).toContain('agent_hub_deliveries{status="sent"} 4');
  });

  it('never takes an outsider\'s comment or issue that carries the marker for its own (it edited theirs, or skipped its post)', async () => {
    for (const as of [{ login: 'hub-bot', type: 'User' as const }, { login: 'hub-app[bot]', type: 'Bot' as const }]) {
      const gh = await githubStandin(TOKEN, as);
      const outsider = { login: 'mallory', type: 'User' as const };
      // Anyone may comment on a public issue, or open one, with the hidden marker in it.
      gh.comments.set('acme/app#5', [{ id: 1, body: 'click here <!-- agent-hub:triage -->', user: outsider }]);
      gh.issues.set('acme/app', [{ number: 1, title: 'Triage report', body: 'mine now <!-- agent-hub:triage issue -->', labels: [], user: outsider }]);
      const repo = gitdir({
        '.gitignore': '.agent-hub/\n',
        'hub.yaml': `github: { apiUrl: "${gh.url}" }\ndeliveries: { backoff: 50ms }\n`,
        'connectors/triage.yaml': yaml({
          on: { github: { events: ['issues'] } }, concurrency: 'allow', prompt: 'Triage {{event.payload.issue.title}}',
          deliver: [{ type: 'github-comment', update: true }, { type: 'github-issue', title: 'Triage report' }],
        }),
      });
      const h = await startHubApp(repo, { ...fakeClaudeEnv().env, GITHUB_WEBHOOK_SECRET: SECRET, GITHUB_TOKEN: TOKEN });
      const [run] = await github(h, 'issues', opened(5, 'Crash'));
      await h.hub.executor.wait(run as string);
      await eventually(() => expect(runDeliveries(h.hub.db, run as string).map((d) => d.status)).toEqual(['sent', 'sent']), 10_000);
      expect(gh.comments.get('acme/app#5')?.map((c) => [c.user.login, c.body.split('\n')[0]]), as.type).toEqual([['mallory', 'click here <!-- agent-hub:triage -->'], [as.login, 'Done: Triage Crash']]);
      expect(gh.issues.get('acme/app')?.map((i) => [i.user.login, i.body.split('\n')[0]]), as.type).toEqual([['mallory', 'mine now <!-- agent-hub:triage issue -->'], [as.login, 'Done: Triage Crash']]);
      // The hub's own are found again: a second run edits its comment and issue.
      const [second] = await github(h, 'issues', opened(5, 'Crash again'));
      await h.hub.executor.wait(second as string);
      await eventually(() => expect(runDeliveries(h.hub.db, second as string).map((d) => d.status)).toEqual(['sent', 'sent']), 10_000);
      expect(gh.comments.get('acme/app#5')?.map((c) => c.body.split('\n')[0])).toEqual(['click here <!-- agent-hub:triage -->', 'Done: Triage Crash again']);
      expect(gh.issues.get('acme/app')).toHaveLength(2);
    }
  });

  it('records a delivery that cannot succeed as failed at once, with the reason', async () => {
    const repo = gitdir({
      '.gitignore': '.agent-hub/\n',
      'hub.yaml': 'deliveries: { backoff: 50ms }\n',
      'connectors/c.yaml': yaml({ prompt: 'c', deliver: [{ type: 'github-comment', repository: 'acme/app', number: 3 }] }),
    });
    const h = await startHubApp(repo, { ...fakeClaudeEnv().env });
    const r = h.hub.run('c', {}, 'manual') as { id: string };
    await h.hub.executor.wait(r.id);
    await eventually(() => expect(runDeliveries(h.hub.db, r.id)[0]).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('set GITHUB_TOKEN') }), 10_000);
    // show and the API tell what became of each delivery, attempt by attempt.
    const shown = await cli(['show', r.id, '--repo', repo]);
    expect(shown.stdout).toContain('Deliveries:\n  github-comment → acme/app#3: failed — no GitHub token: set GITHUB_TOKEN');
    expect(shown.stdout).toMatch(/attempt 1 at \S+: failed \(no GitHub token/);
    expect((await h.request(`/api/executions/${r.id}`)).json).toMatchObject({ deliveries: [{ kind: 'github-comment', status: 'failed', history: [{ attempt: 1, outcome: 'failed' }] }] });
    // A week on, the body goes; what happened stays.
    expect(pruneOutbox(h.hub.db, new Date(Date.now() + 8 * 86_400_000), 7 * 86_400_000)).toBe(1);
    expect(runDeliveries(h.hub.db, r.id)[0]).toMatchObject({ payload: {}, status: 'failed', history: [{ attempt: 1 }] });
  });

  it('a stop does not wait for a receiver that hangs: the attempt is recorded, the delivery stays queued for the next start', async () => {
    const hook = await webhookReceiver();
    const repo = gitdir({
      '.gitignore': '.agent-hub/\n',
      'connectors/c.yaml': yaml({ prompt: 'c', deliver: [{ type: 'webhook', url: `${hook.url}/slow` }] }),
    });
    const h = await startHubApp(repo, fakeClaudeEnv().env);
    hook.hangNext(() => true);
    const r = h.hub.run('c', {}, 'manual') as { id: string };
    await h.hub.executor.wait(r.id);
    await eventually(() => expect(hook.requests).toHaveLength(1), 10_000);
    await h.hub.stop(0);
    const db = new Database(path.join(repo, '.agent-hub/hub.db'), { readonly: true });
    const rows = db.prepare('SELECT o.status, a.outcome, a.detail FROM delivery_outbox o JOIN delivery_attempts a ON a.outbox_id = o.id').all();
    db.close();
    expect(rows).toEqual([{ status: 'pending', outcome: 'failed', detail: expect.stringContaining('stopping') }]);
  });
});
