import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chmodSync, readdirSync, rmSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
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
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });

  it('answers with proper status codes, and enforces the bearer token for mutating calls', async () => {
    const root = repo({ 'hub.yaml': 'shutdown:\n  gracePeriod: 200ms\n', 'connectors/p.yaml': yaml({ inputs: { n: { type: 'integer', required: true } }, prompt: 'n={{inputs.n}}' }) });
    const d = await startDaemon(root, { ...fakeClaudeEnv().env, AGENT_HUB_TOKEN: 'sekrit-token' });
    const auth = { authorization: 'Bearer sekrit-token' };
    expect((await d.api('/api/connectors/p/run', { method: 'POST', body: '{"inputs":{"n":1}}' })).status).toBe(401);
    expect((await d.api('/api/connectors/p/run', { method: 'POST', headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await d.api('/api/connectors/nope/run', { method: 'POST', headers: auth })).status).toBe(404);
    const bad = await d.api<{ error: string; details: string[] }>('/api/connectors/p/run', { method: 'POST', headers: auth, body: '{"inputs":{"n":"x"}}' });
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual(['input "n" must be integer, got "x"']);
    expect((await d.api('/api/connectors/slow/run', { method: 'POST', headers: auth })).status).toBe(202);
    const refused = await d.api<{ reason: string }>('/api/connectors/slow/run', { method: 'POST', headers: auth });
    expect(refused).toMatchObject({ status: 409, body: { reason: 'overlap' } });
    expect((await d.api('/api/executions?status=weird')).status).toBe(400);
    expect((await d.api('/api/executions/nope')).status).toBe(404);
    expect((await d.api('/api/connectors/a')).status).toBe(200);
    expect((await d.api('/api/reconcile', { method: 'POST', headers: auth })).status).toBe(200);
    const metrics = (await d.api<string>('/metrics')).body;
    expect(metrics).toContain('agent_hub_running_runs 1');
    expect(metrics).toContain('agent_hub_connectors{state="active"} 3');
    expect(metrics).toContain('agent_hub_reconcile_duration_seconds_count');
    d.proc.kill('SIGTERM');
    await d.exited;
  });

  it('/healthz and /metrics show state that cannot be committed, and recover with it', async () => {
    const root = repo({ 'hub.yaml': 'state:\n  commitInterval: 200ms\n' });
    const hook = path.join(root, '.git/hooks/pre-commit');
    writeFileSync(hook, '#!/bin/sh\necho "no commits on Fridays" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const d = await startDaemon(root, fakeClaudeEnv().env);
    const run = await d.api<{ id: string }>('/api/connectors/a/run', { method: 'POST' });
    await eventually(async () => {
      const health = (await d.api<{ status: string; git: { pending: number; failing: { commit?: { error: string } } } }>('/healthz')).body;
      expect(health).toMatchObject({ status: 'degraded', git: { pending: 1 } });
      expect(health.git.failing.commit?.error).toContain('no commits on Fridays');
    }, 5000);
    const failing = (await d.api<string>('/metrics')).body;
    expect(failing).toContain('agent_hub_git_failing{operation="commit"} 1');
    expect(failing).toContain('agent_hub_git_pending_files 1');
    const page = (await d.api<string>('/')).body;
    expect(page).toContain('State in git: 1 file waiting');
    expect(page).toMatch(/<pre class="err" data-failing="commit">git commit failing since [^:]+:\d\d:[\d.]+Z: the pre-commit hook rejected the state commit: no commits on Fridays/);

    writeFileSync(hook, '#!/bin/sh\nexit 0\n');
    await eventually(async () => expect((await d.api('/healthz')).body).toMatchObject({ status: 'ok', git: { pending: 0, failing: {} } }), 5000);
    const fine = (await d.api<string>('/metrics')).body;
    expect(fine).toContain('agent_hub_git_failing{operation="commit"} 0');
    expect(fine).toMatch(/^agent_hub_last_successful_commit_timestamp_seconds \d/m);
    expect(git(root, 'log', '-1', '--format=%B')).toContain(`Agent-Hub-Run: ${run.body.id} a success`);
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
