import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { chmodSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { git, gitdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startDaemon } from '../helpers/daemon.js';
import { running } from '../helpers/procs.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

/** Runs in the registry, by status, and the run ids the state commits name. */
function recorded(root: string) {
  const db = new Database(path.join(root, '.agent-hub/hub.db'), { readonly: true });
  const rows = db.prepare('SELECT id, status, error_kind AS errorKind FROM executions').all() as Array<{ id: string; status: string; errorKind: string | null }>;
  db.close();
  const committed = new Set([...git(root, 'log', '--format=%B').matchAll(/^Agent-Hub-Run: (\S+)/gm)].map((m) => m[1]));
  return { rows, committed };
}

describe('stopping the daemon under load', () => {
  it('SIGTERM and SIGINT always drain, commit and exit 0 while runs start every second', async () => {
    // Runs every second that take a while, a commit every 200 ms: a stop always lands while
    // git and agents are running (and execa's signal-exit listener comes and goes with each git command).
    const root = gitdir({
      '.gitignore': '.agent-hub/\n',
      'hub.yaml': 'state:\n  commitInterval: 200ms\nshutdown:\n  gracePeriod: 10s\n',
      'connectors/tick.yaml': yaml({ prompt: 'tick\n@fake sleep 0.4', schedule: '* * * * * *' }),
      // Overlapping runs: from the first second on an agent is always running.
      'connectors/tock.yaml': yaml({ prompt: 'tock\n@fake sleep 1', schedule: '* * * * * *', concurrency: 'allow' }),
    });
    // A slow pre-commit hook: a git process is running at almost any moment.
    const hook = path.join(root, '.git/hooks/pre-commit');
    writeFileSync(hook, '#!/bin/sh\nsleep 0.6\n');
    chmodSync(hook, 0o755);
    const env = fakeClaudeEnv().env;
    const stops: Array<{ signal: NodeJS.Signals; after: number }> = [
      { signal: 'SIGTERM', after: 1000 }, { signal: 'SIGTERM', after: 1600 }, { signal: 'SIGINT', after: 1300 },
    ];
    for (const [i, stop] of stops.entries()) {
      const d = await startDaemon(root, env);
      // Nothing left unfinished by the previous stop.
      expect(d.logs.filter((l) => String(l.msg).includes('marked failed (interrupted)'))).toEqual([]);
      await eventually(() => expect(d.logs.some((l) => l.msg === 'run started')).toBe(true), 5000);
      await new Promise((r) => setTimeout(r, stop.after));
      d.proc.kill(stop.signal);
      // systemd or a supervisor sending SIGTERM again changes nothing: the drain goes on.
      if (i === 1) setTimeout(() => d.proc.kill('SIGTERM'), 150);
      const code = await d.exited;
      expect({ stop: i + 1, signal: stop.signal, code, signalCode: d.proc.signalCode }).toEqual({ stop: i + 1, signal: stop.signal, code: 0, signalCode: null });
      expect(d.logs.some((l) => l.msg === 'stopped')).toBe(true);
      if (i === 1) expect(d.logs.some((l) => String(l.msg).startsWith('already stopping'))).toBe(true);
      const { rows, committed } = recorded(root);
      expect(rows.filter((r) => r.status === 'pending' || r.status === 'running')).toEqual([]);
      expect(rows.filter((r) => r.errorKind === 'interrupted')).toEqual([]);
      // The final commit holds every run this hub finished.
      expect(rows.filter((r) => !committed.has(r.id)).map((r) => r.id)).toEqual([]);
      expect(rows.length).toBeGreaterThan(i);
    }
  }, 60_000);

  it('a second Ctrl-C exits at once (130), stops the agents and records their runs as interrupted', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'hub.yaml': 'state:\n  commitInterval: 200ms\nshutdown:\n  gracePeriod: 1s\n', 'connectors/long.yaml': yaml({ prompt: 'long\n@fake sleep 60', schedule: '* * * * * *' }) });
    const d = await startDaemon(root, fakeClaudeEnv().env);
    await eventually(() => expect(d.logs.some((l) => l.msg === 'run started')).toBe(true), 5000);
    const db = new Database(path.join(root, '.agent-hub/hub.db'), { readonly: true });
    const agent = () => db.prepare("SELECT id, agent_process AS p FROM executions WHERE status = 'running'").get() as { id: string; p: string | null } | undefined;
    await eventually(() => expect(agent()?.p).toBeTruthy(), 5000);
    const { id, p } = agent() as { id: string; p: string };
    const pid = (JSON.parse(p) as { pid: number }).pid;
    d.proc.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 200));
    d.proc.kill('SIGINT');
    expect(await d.exited).toBe(130);
    // What `agent-hub status` reads says so at once, not only after the next start.
    const row = db.prepare('SELECT status, error_kind AS errorKind FROM executions WHERE id = ?').get(id);
    db.close();
    expect(row).toEqual({ status: 'failed', errorKind: 'interrupted' });
    // The agent (its own process group) is not left running and spending.
    await eventually(() => expect(running(pid)).toBe(false), 5000);
    // The next start commits its record; nothing is left for it to mark (its own run of
    // `long` is cancelled by its stop after the 1 s grace).
    const next = await startDaemon(root, fakeClaudeEnv().env);
    await eventually(() => expect(recorded(root).committed.has(id)).toBe(true), 10_000);
    expect(next.logs.filter((l) => String(l.msg).includes('marked failed (interrupted)'))).toEqual([]);
    next.proc.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  }, 30_000);
});
