import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import path from 'node:path';
import { gitdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startDaemon } from '../helpers/daemon.js';
import { githubStandin, webhookReceiver } from '../helpers/standins.js';

// The outbox across a kill -9 of the hub: a comment the stand-in carried out but never
// answered (the hub died waiting) is found by its marker after the restart, not posted
// again; everything still queued is sent once.
const TOKEN = 'ghp_crash_test_token';
const RUNS = 5;

describe('the delivery outbox survives kill -9', () => {
  it('loses nothing and sends nothing twice', async () => {
    const gh = await githubStandin(TOKEN);
    const hook = await webhookReceiver();
    const root = gitdir({
      '.gitignore': '.agent-hub/\n',
      'hub.yaml': `github: { apiUrl: "${gh.url}" }\ndeliveries: { backoff: 100ms }\n`,
      'connectors/c.yaml': JSON.stringify({
        prompt: 'work', concurrency: 'allow',
        deliver: [{ type: 'github-comment', repository: 'acme/app', number: 9 }, { type: 'webhook', url: `${hook.url}/in` }],
      }),
    });
    const env = { ...fakeClaudeEnv().env, GITHUB_TOKEN: TOKEN };
    let posts = 0;
    gh.hangNext((r) => r.method === 'POST' && ++posts === 3);
    const d = await startDaemon(root, env);
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) ids.push(((await d.api<{ id: string }>('/api/connectors/c/run', { method: 'POST' })).body).id);
    await eventually(async () => {
      const done = await Promise.all(ids.map(async (id) => (await d.api<{ status: string }>(`/api/executions/${id}`)).body.status));
      expect(done.every((s) => s === 'success')).toBe(true);
      expect(posts).toBeGreaterThanOrEqual(3);
    }, 15_000);
    d.proc.kill('SIGKILL');
    await d.exited;
    expect([...gh.comments.values()].flat()).toHaveLength(3); // the third was made; its answer never came

    const again = await startDaemon(root, env);
    await eventually(() => {
      expect(gh.comments.get('acme/app#9')).toHaveLength(RUNS);
      expect(new Set(hook.requests.map((r) => r.headers['idempotency-key'])).size).toBe(RUNS);
    }, 15_000);
    again.proc.kill('SIGTERM');
    await again.exited;
    const db = new Database(path.join(root, '.agent-hub/hub.db'), { readonly: true });
    const rows = db.prepare('SELECT run_id AS runId, kind, status FROM delivery_outbox ORDER BY id').all() as Array<{ runId: string; kind: string; status: string }>;
    const doubt = db.prepare("SELECT detail FROM delivery_attempts WHERE detail LIKE 'already posted%'").all();
    db.close();
    expect(rows).toHaveLength(RUNS * 2);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    expect(new Set(rows.map((r) => r.runId))).toEqual(new Set(ids));
    // One comment per run, each marker once; each webhook once (none was in doubt).
    const markers = (gh.comments.get('acme/app#9') ?? []).map((c) => /run:(\S+)#0/.exec(c.body)?.[1]);
    expect(new Set(markers)).toEqual(new Set(ids));
    expect(hook.requests).toHaveLength(RUNS);
    expect(doubt).toHaveLength(1);
  });
});
