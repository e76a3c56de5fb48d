import { describe, expect, it, onTestFinished } from 'vitest';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startDaemon } from '../helpers/daemon.js';
import { running } from '../helpers/procs.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
const BIN = fileURLToPath(new URL('../../bin/agent-hub.js', import.meta.url));

describe('agents left behind by a crashed hub', () => {
  it('after kill -9 of the hub mid-run, the next start stops the agent and what it daemonized, then marks the run interrupted', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/slow.yaml': yaml({ prompt: 'x\n@fake escape 40\n@fake sleep 30' }) });
    const fake = fakeClaudeEnv();
    const d = await startDaemon(root, fake.env, []);
    const run = await d.api<{ id: string }>('/api/connectors/slow/run', { method: 'POST' });
    let marker = '';
    await eventually(() => expect((marker = readdirSync(fake.liveDir).find((f) => f.startsWith('escaped-of-')) ?? '')).not.toBe(''));
    const agent = Number(marker.slice('escaped-of-'.length));
    const escaped = Number(readFileSync(path.join(fake.liveDir, marker), 'utf8'));
    onTestFinished(() => {
      for (const pid of [agent, escaped]) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    });
    d.proc.kill('SIGKILL');
    await d.exited;
    expect(running(agent)).toBe(true); // the crash alone leaves the agent running, and spending

    const again = await startDaemon(root, fake.env);
    await eventually(() => expect([running(agent), running(escaped)]).toEqual([false, false]), 2000);
    const e = (await again.api<{ status: string; errorKind: string }>(`/api/executions/${run.body.id}`)).body;
    expect(e).toMatchObject({ status: 'failed', errorKind: 'interrupted' });
    expect(again.logs.find((l) => l.run === run.body.id && String(l.msg).includes('stopped'))).toBeTruthy();
    again.proc.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });

  it('a start leaves alone a run that `agent-hub run` in a terminal is still running: not stopped, not interrupted', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/slow.yaml': yaml({ prompt: 'x\n@fake sleep 30' }) });
    const fake = fakeClaudeEnv();
    const cli = spawn(process.execPath, [BIN, 'run', 'slow', '--repo', root], { env: { ...process.env, ...fake.env }, stdio: 'ignore' });
    const cliExited = new Promise((resolve) => cli.on('exit', resolve));
    onTestFinished(async () => {
      cli.kill('SIGINT'); // cancels its run: the agent is stopped and the run recorded
      await cliExited;
    });
    await eventually(() => expect(fake.livePids()).toHaveLength(1), 10_000);
    const [agent] = fake.livePids() as [number];

    const d = await startDaemon(root, fake.env);
    const runs = (await d.api<{ executions: Array<{ connectorId: string }> }>('/api/executions?status=running')).body.executions;
    expect(runs.map((e) => e.connectorId)).toEqual(['slow']);
    expect(running(agent)).toBe(true);
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });
});
