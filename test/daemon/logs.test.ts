import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gitdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startDaemon } from '../helpers/daemon.js';
import { cli } from '../helpers/cli.js';

const BIN = fileURLToPath(new URL('../../bin/agent-hub.js', import.meta.url));
const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
const WORK = ['Tidy', '@fake say Reading the log.', '@fake tool Bash {"command":"git log --oneline -3"}', '@fake tool Read {"file_path":"/srv/repo/README.md"}'].join('\n');

/** Server-Sent Events of a response, parsed, until the stream ends. */
async function sse(res: Response): Promise<Array<{ id: string; event: string; data: Record<string, unknown> }>> {
  const text = await res.text();
  return text.split('\n\n').filter((f) => f.startsWith('id:')).map((f) => {
    const field = (name: string) => f.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
    return { id: field('id'), event: field('event'), data: JSON.parse(field('data')) as Record<string, unknown> };
  });
}

describe('transcripts from the command line and the API', () => {
  it('show --transcript prints one line per step; logs -f follows a running run live from the daemon; SSE resumes after Last-Event-ID', async () => {
    const root = gitdir({
      '.gitignore': '.agent-hub/\n',
      'connectors/tidy.yaml': yaml({ prompt: WORK }),
      'connectors/slow.yaml': yaml({ prompt: `${WORK}\n@fake pause 0.4` }),
    });
    const env = fakeClaudeEnv().env;
    const d = await startDaemon(root, env);
    const run = await d.api<{ id: string }>('/api/connectors/tidy/run', { method: 'POST' });
    await eventually(async () => expect((await d.api<{ status: string }>(`/api/executions/${run.body.id}`)).body.status).toBe('success'), 5000);

    const shown = await cli(['show', run.body.id, '--transcript', '--repo', root]);
    expect(shown.code).toBe(0);
    const lines = shown.stdout.trimEnd().split('\n').map((l) => l.replace(/^\d\d:\d\d:\d\d {2}/, ''));
    expect(lines).toEqual([
      'start    claude-sonnet-4-5, session ' + (lines[0] as string).split('session ')[1],
      'says     Reading the log.',
      'Bash     git log --oneline -3',
      '  ↳ ok: git log --oneline -3',
      'Read     /srv/repo/README.md',
      '  ↳ ok: /srv/repo/README.md',
      'says     Done: Tidy',
      'result   ok (success), $0.0012, 1 turn, 2400 in / 52 out tokens',
      'end      success',
    ]);
    const json = JSON.parse((await cli(['show', run.body.id, '--transcript', '--json', '--repo', root])).stdout) as Array<{ kind: string }>;
    expect(json.map((e) => e.kind)).toContain('tool');

    // A finished run's events: all of them, then the end; after Last-Event-ID 3, only the rest.
    const all = await sse(await fetch(`${d.url}/api/executions/${run.body.id}/events`));
    expect(all.map((e) => e.event)).toEqual(['init', 'text', 'tool', 'tool-result', 'tool', 'tool-result', 'text', 'result', 'end']);
    const rest = await sse(await fetch(`${d.url}/api/executions/${run.body.id}/events`, { headers: { 'last-event-id': '3' } }));
    expect(rest.map((e) => e.id)).toEqual(['4', '5', '6', '7', '8', '9']);

    // A running run, followed from another process: the steps as they come, ending with the end.
    const slow = await d.api<{ id: string }>('/api/connectors/slow/run', { method: 'POST' });
    await eventually(async () => expect((await d.api<{ status: string }>(`/api/executions/${slow.body.id}`)).body.status).toBe('running'), 5000);
    const follower = spawn(process.execPath, [BIN, 'logs', '-f', 'slow', '--repo', root], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    follower.stdout.on('data', (c) => (out += c));
    follower.stderr.on('data', (c) => (err += c));
    // Seen while the run still goes: the first tool call before the run is recorded.
    await eventually(() => expect(out).toContain('Bash     git log --oneline -3'), 5000);
    expect((await d.api<{ status: string }>(`/api/executions/${slow.body.id}`)).body.status).toBe('running');
    const code = await new Promise<number | null>((resolve) => follower.on('exit', resolve));
    expect(code).toBe(0);
    expect(err).toContain(`following run ${slow.body.id} of slow`);
    expect(out.trimEnd().split('\n').at(-1)).toMatch(/end {6}success$/);

    // The last run when none is running.
    const last = await cli(['logs', 'slow', '--repo', root]);
    expect(last.stderr).toContain(`run ${slow.body.id} of slow: success`);
    expect(last.stdout).toContain('Read     /srv/repo/README.md');
    d.proc.kill('SIGTERM');
    await d.exited;
  });

  it('logs -f without a daemon follows a run that agent-hub run started, from its transcript file', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/slow.yaml': yaml({ prompt: `${WORK}\n@fake pause 0.4` }) });
    const env = { ...process.env, ...fakeClaudeEnv().env };
    const runner = spawn(process.execPath, [BIN, 'run', 'slow', '--repo', root], { env, stdio: 'ignore' });
    const ran = new Promise<number | null>((resolve) => runner.on('exit', resolve));
    await eventually(async () => expect((await cli(['history', 'slow', '--status', 'running', '--json', '--repo', root])).stdout).toContain('"running"'), 10_000, 100);
    const followed = await cli(['logs', '-f', 'slow', '--repo', root], { env });
    expect(followed.stderr).toMatch(/following run \S+ of slow \(\S+\.agent-hub\/transcripts\/\S+\.jsonl\)/);
    expect(followed.stdout).toContain('Read     /srv/repo/README.md');
    expect(followed.stdout.trimEnd().split('\n').at(-1)).toMatch(/end {6}success$/);
    expect(await ran).toBe(0);
  });

  it('pause stops a connector\'s runs until resume, from the CLI and the API, with who and when', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/a.yaml': yaml({ prompt: 'hi' }) });
    const d = await startDaemon(root, fakeClaudeEnv().env);
    const paused = await cli(['pause', 'a', '--reason', 'it spams the channel', '--repo', root], { env: { AGENT_HUB_USER: 'alice' } });
    expect(paused.stdout).toMatch(/^a: paused by alice at \S+: it spams the channel/);
    const refused = await d.api<{ error: string; reason: string }>('/api/connectors/a/run', { method: 'POST' });
    expect(refused).toMatchObject({ status: 409, body: { reason: 'paused' } });
    expect(refused.body.error).toContain('paused by alice');
    const shown = await d.api<{ paused: { by: string; reason: string } }>('/api/connectors/a');
    expect((await cli(['status', '--repo', root])).stdout).toMatch(/a: paused by alice at \S+: it spams the channel \(agent-hub resume a undoes it\); a drift from git/);
    expect(shown.body.paused).toMatchObject({ by: 'alice', reason: 'it spams the channel' });
    expect((await cli(['resume', 'a', '--repo', root])).stdout).toContain('a: resumed (it was paused by alice');
    expect((await d.api('/api/connectors/a/run', { method: 'POST' })).status).toBe(202);

    await d.api('/api/connectors/a/pause', { method: 'POST', body: JSON.stringify({ by: 'bob' }) });
    expect((await d.api<{ paused: { by: string } }>('/api/connectors/a')).body.paused.by).toBe('bob');
    // A cross-site form cannot pause: the API refuses anything but JSON from no foreign origin.
    const form = await fetch(`${d.url}/api/connectors/a/resume`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' }, body: 'x=1' });
    expect(form.status).toBe(403);
    expect((await d.api('/api/connectors/a/resume', { method: 'POST' })).status).toBe(200);
    expect((await d.api<{ paused: unknown }>('/api/connectors/a')).body.paused).toBeNull();
    d.proc.kill('SIGTERM');
    await d.exited;
  });
});
