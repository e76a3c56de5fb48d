import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { readdirSync, rmSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import Database from 'better-sqlite3';
import { git, gitdir, writeFiles } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startDaemon } from '../helpers/daemon.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
const BIN = fileURLToPath(new URL('../../bin/agent-hub.js', import.meta.url));

function repo(files: Record<string, string> = {}) {
  return gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/a.yaml': yaml({ prompt: 'a v1', schedule: '0 9 * * *' }), 'connectors/slow.yaml': yaml({ prompt: 'x\n@fake sleep 30' }), ...files });
}

interface ConnectorsBody { connectors: Array<{ id: string; version: string; nextRun: string | null; state: string; lastError: Array<{ message: string }> | null }>; invalidFiles: Array<{ path: string; diagnostics: Array<{ message: string }> }> }

describe('agent-hub start (a real daemon process)', () => {
  it('an edited file is live at once; an invalid one shows its error while the others keep running', async () => {
    const root = repo();
    const d = await startDaemon(root, fakeClaudeEnv().env);
    const before = (await d.api<ConnectorsBody>('/api/connectors')).body.connectors.find((c) => c.id === 'a');
    expect(before?.nextRun).toMatch(/T09:00:00\.000Z$/);
    writeFiles(root, { 'connectors/a.yaml': yaml({ prompt: 'a v2', schedule: '30 10 * * *' }) });
    await eventually(async () => {
      const a = (await d.api<ConnectorsBody>('/api/connectors/a')).body as unknown as ConnectorsBody['connectors'][number];
      expect(a.version).not.toBe(before?.version);
      expect(a.nextRun).toMatch(/T10:30:00\.000Z$/);
    }, 3000);

    // An editor's atomic save: write a temp file, rename it over the connector.
    writeFileSync(path.join(root, 'connectors/.a.yaml.swp'), yaml({ prompt: 'a v3', schedule: '30 10 * * *' }));
    renameSync(path.join(root, 'connectors/.a.yaml.swp'), path.join(root, 'connectors/a.yaml'));
    writeFiles(root, { 'connectors/broken.yaml': 'prompt: hi\nschedule: "61 * * * *"\n', 'connectors/new.yaml': yaml({ prompt: 'new' }) });
    await eventually(async () => {
      const body = (await d.api<ConnectorsBody>('/api/connectors')).body;
      expect(body.invalidFiles.map((f) => f.path)).toEqual(['connectors/broken.yaml']);
      expect(body.invalidFiles[0]?.diagnostics[0]?.message).toContain('minute: 61');
      expect(body.connectors.find((c) => c.id === 'new')?.state).toBe('active');
    }, 3000);
    const run = await d.api<{ id: string }>('/api/connectors/new/run', { method: 'POST' });
    expect(run.status).toBe(202);
    await eventually(async () => expect((await d.api<{ status: string }>(`/api/executions/${run.body.id}`)).body.status).toBe('success'), 5000);

    // The directory deleted and recreated (a checkout switching branches).
    rmSync(path.join(root, 'connectors'), { recursive: true });
    await eventually(async () => expect((await d.api<ConnectorsBody>('/api/connectors')).body.connectors.filter((c) => c.state === 'active')).toEqual([]), 3000);
    mkdirSync(path.join(root, 'connectors'));
    writeFiles(root, { 'connectors/back.yaml': yaml({ prompt: 'back' }) });
    await eventually(async () => expect((await d.api<ConnectorsBody>('/api/connectors')).body.connectors.find((c) => c.id === 'back')?.state).toBe('active'), 3000);

    // Over the socket as over the in-process app (test/server/app.test.ts): the body is read, a rebound Host and a form are refused.
    const bad = await d.api<{ details: string[] }>('/api/connectors/back/run', { method: 'POST', body: '{"inputs":{"n":1}}' });
    expect(bad).toMatchObject({ status: 400, body: { details: [expect.stringContaining('"n"')] } });
    const port = new URL(d.url).port;
    expect(await raw(d.url, 'GET', '/api/connectors', { host: `evil.example:${port}` })).toMatchObject({ status: 403, text: expect.stringContaining('requests for host \\"evil.example\\" are refused') });
    expect(await raw(d.url, 'POST', '/api/reconcile', { host: `127.0.0.1:${port}`, 'content-type': 'text/plain' }, '{}')).toMatchObject({ status: 403 });
    expect(await raw(d.url, 'TRACE', '/api/connectors', { host: `127.0.0.1:${port}` })).toMatchObject({ status: 405 });
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });

  it('with many connectors, an edit to one goes live with its next run, and a partial edit reaches every connector using it', async () => {
    const many: Record<string, string> = { 'connectors/partials/rules.hbs': 'rules v1' };
    for (let i = 0; i < 200; i++) many[`connectors/c-${i}.yaml`] = yaml({ prompt: i % 50 === 0 ? `c ${i} {{> rules}}` : `c ${i}`, schedule: `${i % 60} 3 * * *` });
    const root = repo(many);
    const d = await startDaemon(root, fakeClaudeEnv().env);
    type One = ConnectorsBody['connectors'][number];
    const one = async (id: string) => (await d.api<One>(`/api/connectors/${id}`)).body;
    const before = await Promise.all(['c-0', 'c-50', 'c-100', 'c-150', 'c-1'].map(one));
    writeFiles(root, { 'connectors/c-7.yaml': yaml({ prompt: 'c 7 v2', schedule: '45 4 * * *' }) });
    await eventually(async () => expect((await one('c-7')).nextRun).toMatch(/T04:45:00\.000Z$/), 3000);
    writeFiles(root, { 'connectors/partials/rules.hbs': 'rules v2' });
    await eventually(async () => {
      const after = await Promise.all(['c-0', 'c-50', 'c-100', 'c-150', 'c-1'].map(one));
      expect(after.map((c, i) => c.version !== before[i]?.version)).toEqual([true, true, true, true, false]);
    }, 3000);
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });

  it('an edit to a promptFile outside connectors/ (promptFile: ../prompts/p.hbs) goes live at once', async () => {
    const root = repo({ 'connectors/p.yaml': yaml({ promptFile: '../prompts/p.hbs', schedule: '0 9 * * *' }), 'prompts/p.hbs': 'p v1' });
    const d = await startDaemon(root, fakeClaudeEnv().env);
    await eventually(async () => expect((await d.api<{ template: string }>('/api/connectors/p')).body.template).toBe('p v1'), 3000);
    writeFiles(root, { 'prompts/p.hbs': 'p v2' });
    await eventually(async () => expect((await d.api<{ template: string }>('/api/connectors/p')).body.template).toBe('p v2'), 3000);
    // An editor's atomic save of it, and a connector made later reading another file there.
    writeFileSync(path.join(root, 'prompts/.p.hbs.swp'), 'p v3');
    renameSync(path.join(root, 'prompts/.p.hbs.swp'), path.join(root, 'prompts/p.hbs'));
    await eventually(async () => expect((await d.api<{ template: string }>('/api/connectors/p')).body.template).toBe('p v3'), 3000);
    writeFiles(root, { 'more/q.hbs': 'q v1', 'connectors/q.yaml': yaml({ promptFile: '../more/q.hbs' }) });
    await eventually(async () => expect((await d.api<{ template: string }>('/api/connectors/q')).body.template).toBe('q v1'), 3000);
    writeFiles(root, { 'more/q.hbs': 'q v2' });
    await eventually(async () => expect((await d.api<{ template: string }>('/api/connectors/q')).body.template).toBe('q v2'), 3000);
    // Its directory removed and made again (a checkout to a branch without it and back, the connector file changed with it).
    rmSync(path.join(root, 'prompts'), { recursive: true });
    writeFiles(root, { 'prompts/p.hbs': 'p v4', 'connectors/p.yaml': yaml({ promptFile: '../prompts/p.hbs', schedule: '0 10 * * *' }) });
    await eventually(async () => expect((await d.api<{ template: string }>('/api/connectors/p')).body.template).toBe('p v4'), 3000);
    writeFiles(root, { 'prompts/p.hbs': 'p v5' });
    await eventually(async () => expect((await d.api<{ template: string }>('/api/connectors/p')).body.template).toBe('p v5'), 3000);
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });

  it('with a remote, what was merged while the hub was down goes live at start, not a pull interval later', async () => {
    const root = repo({ 'hub.yaml': 'remote:\n  enabled: true\n  pullInterval: 10m\n' });
    const bare = `${root}-remote.git`;
    git(path.dirname(root), 'clone', '-q', '--bare', root, bare);
    git(root, 'remote', 'add', 'origin', bare);
    git(root, 'fetch', '-q', 'origin');
    git(root, 'branch', '-q', '--set-upstream-to=origin/main');
    const other = `${root}-other`;
    git(path.dirname(root), 'clone', '-q', bare, other);
    writeFiles(other, { 'connectors/a.yaml': yaml({ prompt: 'a v2, merged while the hub was down', schedule: '0 9 * * *' }) });
    git(other, 'commit', '-qam', 'a v2');
    git(other, 'push', '-q', 'origin', 'main');
    onTestFinished(() => [bare, other].forEach((d) => rmSync(d, { recursive: true, force: true })));
    const d = await startDaemon(root, fakeClaudeEnv().env);
    await eventually(async () => expect((await d.api<{ template: string }>('/api/connectors/a')).body.template).toBe('a v2, merged while the hub was down'), 5000);
    expect(d.logs.some((l) => l.msg === 'pulled from the remote')).toBe(true);
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });

  it('SIGHUP reconciles and keeps the hub running (systemctl reload)', async () => {
    const root = repo();
    const d = await startDaemon(root, { ...fakeClaudeEnv().env, AGENT_HUB_LOG_LEVEL: 'debug' });
    d.proc.kill('SIGHUP');
    await eventually(() => expect(d.logs.some((l) => l.trigger === 'SIGHUP' && String(l.msg).startsWith('reconciled'))).toBe(true));
    expect(d.proc.exitCode).toBeNull();
    expect((await d.api('/healthz')).status).toBe(200);
    // A shorter resync interval in hub.yaml applies without a restart (it was 5m).
    expect(d.logs.some((l) => l.trigger === 'resync')).toBe(false);
    writeFiles(root, { 'hub.yaml': 'resync:\n  interval: 200ms\n' });
    await eventually(() => expect(d.logs.filter((l) => l.trigger === 'resync').length).toBeGreaterThan(1), 5000);
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });

  it('refuses a second instance naming the running pid, and a public address without a token', async () => {
    const root = repo();
    const d = await startDaemon(root, fakeClaudeEnv().env);
    const second = await runCli(['start', '--repo', root, '--port', '0']);
    expect(second.code).toBe(75);
    expect(second.stderr).toContain(`another agent-hub (pid ${d.proc.pid}) is already running on this repository`);
    // restore replaces the database: never under a running hub.
    const restore = await runCli(['restore', '--repo', root]);
    expect(restore.code).toBe(75);
    expect(restore.stderr).toContain(`another agent-hub (pid ${d.proc.pid}) is already running on this repository`);
    expect(readdirSync(path.join(root, '.agent-hub')).filter((f) => f.includes('.bak'))).toEqual([]);
    d.proc.kill('SIGTERM');
    await d.exited;
    const open = await runCli(['start', '--repo', root, '--port', '0', '--host', '0.0.0.0']);
    expect(open.code).toBe(1);
    expect(open.stderr).toContain('refusing to listen on 0.0.0.0 without a token');
    const guarded = repo({ 'hub.yaml': 'server:\n  protectReads: true\n' });
    const unreadable = await runCli(['start', '--repo', guarded, '--port', '0'], { AGENT_HUB_TOKEN: '', AGENT_HUB_READ_TOKEN: '' });
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain('server.protectReads');
    expect(unreadable.stderr).toContain('AGENT_HUB_READ_TOKEN');
  });

  it('a CLI run of a connector the daemon is running is refused (forbid across processes)', async () => {
    const root = repo({ 'hub.yaml': 'shutdown:\n  gracePeriod: 200ms\n' });
    const env = fakeClaudeEnv().env;
    const d = await startDaemon(root, env);
    const run = await d.api<{ id: string }>('/api/connectors/slow/run', { method: 'POST' });
    await eventually(async () => expect((await d.api<{ status: string }>(`/api/executions/${run.body.id}`)).body.status).toBe('running'));
    const cli = await runCli(['run', 'slow', '--repo', root], env);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`slow is already running in another agent-hub process (${run.body.id})`);
    d.proc.kill('SIGTERM');
    await d.exited;
  });

  it('SIGTERM mid-run drains: the run is recorded and committed, exit 0', async () => {
    const root = repo({ 'hub.yaml': 'shutdown:\n  gracePeriod: 300ms\n' });
    const d = await startDaemon(root, fakeClaudeEnv().env);
    const run = await d.api<{ id: string }>('/api/connectors/slow/run', { method: 'POST' });
    await eventually(async () => expect((await d.api<{ status: string }>(`/api/executions/${run.body.id}`)).body.status).toBe('running'));
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(git(root, 'log', '-1', '--format=%B')).toContain(`Agent-Hub-Run: ${run.body.id} slow failed`);
    const db = new Database(path.join(root, '.agent-hub/hub.db'), { readonly: true });
    expect(db.prepare('SELECT status, error_kind FROM executions WHERE id = ?').get(run.body.id)).toEqual({ status: 'failed', error_kind: 'cancelled' });
    db.close();
  });

  it('kill -9 mid-run: the restart recovers (no running row, database intact)', async () => {
    const root = repo();
    const env = fakeClaudeEnv().env;
    const d = await startDaemon(root, env);
    const run = await d.api<{ id: string }>('/api/connectors/slow/run', { method: 'POST' });
    await eventually(async () => expect((await d.api<{ status: string }>(`/api/executions/${run.body.id}`)).body.status).toBe('running'));
    d.proc.kill('SIGKILL');
    await d.exited;
    const again = await startDaemon(root, env);
    const e = (await again.api<{ status: string; errorKind: string }>(`/api/executions/${run.body.id}`)).body;
    expect(e).toMatchObject({ status: 'failed', errorKind: 'interrupted' });
    expect((await again.api<{ executions: unknown[] }>('/api/executions?status=running')).body.executions).toEqual([]);
    again.proc.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    const db = new Database(path.join(root, '.agent-hub/hub.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env, AGENT_HUB_LOG_FORMAT: 'json' } });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** One request with a Host of our choosing over a real socket (fetch cannot set Host). */
function raw(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
