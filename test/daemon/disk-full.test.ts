import { describe, expect, it, onTestFinished } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { git, writeFiles } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { fillDisk } from '../helpers/disk.js';
import { startDaemon } from '../helpers/daemon.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
const BIN = fileURLToPath(new URL('../../bin/agent-hub.js', import.meta.url));
const root = process.getuid?.() === 0;
if (!root) console.log('disk-full test skipped: mounting a small tmpfs needs root (run the suite as root, as CI does)');

/** A git repository on its own 24 MB tmpfs, unmounted when the test ends. */
function repoOnTinyDisk(files: Record<string, string>): { dir: string; mount: string } {
  const mount = mkdtempSync(path.join(tmpdir(), 'agent-hub-tinydisk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mount]);
  onTestFinished(() => {
    spawnSync('umount', ['-l', mount]);
    rmSync(mount, { recursive: true, force: true });
  });
  const dir = path.join(mount, 'hub');
  mkdirSync(dir);
  writeFiles(dir, files);
  git(dir, 'init', '--quiet', '--initial-branch=main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '-m', 'initial');
  return { dir, mount };
}


interface Health { status: string; reasons: string[]; storage: { reason: string; unrecordedRuns: number } | null }

describe.runIf(root)('a full disk', () => {
  it('the daemon stays up, says degraded with the reason, keeps finished runs in memory and records each once when space returns', async () => {
    const { dir, mount } = repoOnTinyDisk({
      '.gitignore': '.agent-hub/\n',
      'hub.yaml': 'state:\n  commitInterval: 200ms\n',
      'connectors/tick.yaml': yaml({ prompt: 'tick {{run.id}}\n@fake sleep 0.2', schedule: '* * * * * *' }),
      'connectors/long.yaml': yaml({ prompt: 'long {{run.id}}\n@fake sleep 2\n@fake huge 300000' }),
    });
    const fake = fakeClaudeEnv();
    const d = await startDaemon(dir, fake.env);
    await eventually(async () => expect((await d.api<{ executions: unknown[] }>('/api/executions?status=success')).body.executions.length).toBeGreaterThan(1), 5000);

    // A run is under way when the disk fills up; it finishes while nothing can be written.
    const long = await d.api<{ id: string }>('/api/connectors/long/run', { method: 'POST' });
    expect(long.status).toBe(202);
    const filler = path.join(mount, 'filler');
    fillDisk(filler);
    await eventually(async () => {
      const health = (await d.api<Health>('/healthz')).body;
      expect(health.status).toBe('degraded');
      expect(health.storage?.reason).toBe(`disk full: ${path.join(dir, '.agent-hub/hub.db')}`);
      expect(health.reasons).toContain(health.storage?.reason);
      expect(health.storage?.unrecordedRuns).toBe(1);
    }, 10_000);
    expect(d.proc.exitCode).toBeNull();
    const metrics = (await d.api<string>('/metrics')).body;
    expect(metrics).toContain('agent_hub_storage_failing 1');
    expect(metrics).toContain('agent_hub_unrecorded_runs 1');
    expect(metrics).toContain('agent_hub_degraded 1');
    expect((await d.api<string>('/')).body).toMatch(/<pre class="err" id="degraded">Degraded since <time datetime="[^"]+Z">[^<]+ UTC<\/time>: disk full: \S+hub\.db; 1 finished run kept in memory until it can be recorded/);
    expect(d.logs.some((l) => String(l.msg).startsWith('storage degraded: disk full'))).toBe(true);
    const status = spawnSync(process.execPath, [BIN, 'status', '--repo', dir, '--json'], { encoding: 'utf8' });
    expect(JSON.parse(status.stdout)).toMatchObject({ hub: { status: 'degraded', reasons: expect.arrayContaining([`disk full: ${path.join(dir, '.agent-hub/hub.db')}`]), pid: d.proc.pid } });

    // Space returns: the kept record is written, the hub is healthy again, and it never stopped.
    rmSync(filler);
    await eventually(async () => expect((await d.api<Health>('/healthz')).body).toMatchObject({ status: 'ok', reasons: [], storage: null }), 10_000);
    const kept = (await d.api<{ status: string; result: string }>(`/api/executions/${long.body.id}`)).body;
    expect(kept.status).toBe('success');
    expect(kept.result).toHaveLength(300000);
    // The schedule went on: a slot after the recovery runs.
    const recovered = new Date().toISOString();
    await eventually(async () => {
      const runs = (await d.api<{ executions: Array<{ createdAt: string; status: string }> }>('/api/executions?connector=tick&status=success')).body.executions;
      expect(runs.some((r) => r.createdAt > recovered)).toBe(true);
    }, 5000);
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);

    // Every agent call is one recorded, finished run; none was left behind or counted twice.
    const called = fake.calls().map((c) => /^(?:tick|long) (\S+)/.exec(c.prompt)?.[1]);
    const db = new Database(path.join(dir, '.agent-hub/hub.db'), { readonly: true });
    const rows = db.prepare('SELECT id, status, error_kind AS errorKind FROM executions').all() as Array<{ id: string; status: string; errorKind: string | null }>;
    db.close();
    expect(new Set(called).size).toBe(called.length);
    expect(rows.filter((r) => called.includes(r.id)).map((r) => r.status).filter((s) => s !== 'success')).toEqual([]);
    expect(rows.filter((r) => r.status === 'pending' || r.status === 'running' || r.errorKind === 'interrupted')).toEqual([]);
    expect(called.length).toBe(rows.length);
    // And each is committed exactly once.
    const trailers = [...git(dir, 'log', '--format=%B').matchAll(/^Agent-Hub-Run: (\S+)/gm)].map((m) => m[1]);
    expect(trailers.toSorted()).toEqual(rows.map((r) => r.id).toSorted());
  }, 60_000);
});
