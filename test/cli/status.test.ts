import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { cli } from '../helpers/cli.js';
import { connector, git, gitdir, testdir, writeFiles } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startDaemon } from '../helpers/daemon.js';

/** Every row of every table of a hub's registry, as text: what "the registry did not change" compares. */
function registryRows(root: string): string {
  const db = new Database(path.join(root, '.agent-hub/hub.db'), { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((t) => t.name);
    return tables.map((t) => `${t}\n${JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).all())}`).join('\n');
  } finally {
    db.close();
  }
}

interface StatusJson {
  connectors: Array<{ id: string; state: string; version: string; commit: string | null; gitCommit: string | null; sync: { status: string; reason?: string; file?: string; fileVersion?: string; errors?: Array<{ file: string; line: number; message: string }> } }>;
  newFiles: Array<{ path: string; id: string | null; version: string | null; errors: Array<{ file: string; line: number; message: string }> }>;
  blocking: unknown[];
  git: { lastCommit: { sha: string; subject: string } | null };
  hub: { running: boolean; pid: number | null; url: string | null; lock: string | null; status?: string };
}

const statusJson = async (root: string) => JSON.parse((await cli(['status', '--repo', root, '--json'])).stdout) as StatusJson;
const byId = (s: StatusJson, id: string) => s.connectors.find((c) => c.id === id);

describe('agent-hub status tells the truth about the files', () => {
  it('shows files edited, broken, removed and added since the last apply, without changing the registry', async () => {
    const root = gitdir({
      'connectors/same.yaml': connector({ prompt: 'unchanged' }), 'connectors/edited.yaml': connector({ prompt: 'v1' }),
      'connectors/broken.yaml': connector({ prompt: 'fine' }), 'connectors/gone.yaml': connector({ prompt: 'bye' }),
    });
    expect((await cli(['apply', '--repo', root])).code).toBe(0);
    const applied = await statusJson(root);
    expect(applied.connectors.map((c) => [c.id, c.sync.status])).toEqual([['broken', 'synced'], ['edited', 'synced'], ['gone', 'synced'], ['same', 'synced']]);

    writeFiles(root, {
      'connectors/edited.yaml': connector({ prompt: 'v2' }),
      'connectors/broken.yaml': 'prompt: fine\nschedule: "99 * * * *"\n',
      'connectors/fresh.yaml': connector({ prompt: 'new one' }),
      'connectors/fresh-bad.yaml': 'prompt: [unclosed\n',
    });
    rmSync(path.join(root, 'connectors/gone.yaml'));
    const before = registryRows(root);
    const bytes = readFileSync(path.join(root, '.agent-hub/hub.db'));

    const s = await statusJson(root);
    expect(byId(s, 'same')?.sync).toEqual({ status: 'synced', file: 'connectors/same.yaml' });
    expect(byId(s, 'edited')?.sync).toMatchObject({ status: 'out-of-sync', reason: 'changed', file: 'connectors/edited.yaml', fileVersion: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(byId(s, 'edited')?.sync.fileVersion).not.toBe(byId(s, 'edited')?.version);
    expect(byId(s, 'broken')?.sync).toMatchObject({ status: 'invalid', file: 'connectors/broken.yaml' });
    expect(byId(s, 'broken')?.sync.errors?.[0]).toMatchObject({ file: 'connectors/broken.yaml', line: 2, message: expect.stringContaining('"99 * * * *" is not a valid schedule') });
    expect(byId(s, 'broken')?.state).toBe('active'); // the applied version still runs
    expect(byId(s, 'gone')?.sync).toEqual({ status: 'out-of-sync', reason: 'removed' });
    expect(s.newFiles).toEqual([
      { path: 'connectors/fresh-bad.yaml', id: null, version: null, errors: [expect.objectContaining({ file: 'connectors/fresh-bad.yaml', line: 2, rule: 'yaml' })] },
      { path: 'connectors/fresh.yaml', id: 'fresh', version: expect.stringMatching(/^[0-9a-f]{12}$/), errors: [] },
    ]);

    const text = (await cli(['status', '--repo', root])).stdout;
    expect(text).toMatch(/edited\s+active\s+out of sync\s+manual only/);
    expect(text).toMatch(/same\s+active\s+synced\s+manual only/);
    expect(text).toMatch(/broken\s+active\s+invalid\s+manual only/);
    expect(text).toContain('edited: out of sync: connectors/edited.yaml changed since the last apply');
    expect(text).toContain('agent-hub apply applies it');
    expect(text).toContain('broken: connectors/broken.yaml is invalid; version');
    expect(text).toContain('connectors/broken.yaml:2:11: error: schedule: "99 * * * *" is not a valid schedule');
    expect(text).toContain('gone: out of sync: connectors/gone.yaml was removed; the connector stays active until the removal is applied');
    expect(text).toContain('connectors/fresh.yaml: new file, not applied yet (connector fresh, version');
    expect(text).toContain('connectors/fresh-bad.yaml: new file, invalid: not applied');

    // Status read the files and changed nothing: the registry holds the same rows.
    expect(registryRows(root)).toBe(before);
    expect(readFileSync(path.join(root, '.agent-hub/hub.db')).equals(bytes)).toBe(true);
    // Apply brings it back in sync, which status then says.
    await cli(['apply', '--repo', root]);
    const after = await statusJson(root);
    expect(after.connectors.filter((c) => c.state !== 'removed').map((c) => [c.id, c.sync.status])).toEqual([['broken', 'invalid'], ['edited', 'synced'], ['fresh', 'synced'], ['same', 'synced']]);
    expect(after.newFiles.map((f) => f.path)).toEqual(['connectors/fresh-bad.yaml']);
  });

  it('names the commit that last touched a connector\'s files, following HEAD; (uncommitted) only while they are', async () => {
    const root = gitdir({ 'README.md': 'hub\n', 'hub.yaml': 'concurrency: 1\n' });
    writeFiles(root, { 'connectors/a.yaml': 'promptFile: a.prompt.hbs\n', 'connectors/a.prompt.hbs': 'v1', 'connectors/b.yaml': connector() });
    await cli(['apply', '--repo', root]);
    expect(byId(await statusJson(root), 'a')?.commit).toBeNull();
    expect((await cli(['status', '--repo', root])).stdout).toMatch(/a\s+active\s+synced.*\(uncommitted\)/);

    // Committed with the content applied: the commit shows, without another apply.
    git(root, 'add', 'connectors');
    git(root, 'commit', '-qm', 'connectors');
    const first = git(root, 'rev-parse', 'HEAD');
    let s = await statusJson(root);
    expect(byId(s, 'a')).toMatchObject({ commit: first, gitCommit: null, sync: { status: 'synced' } });
    // The next apply records it in the registry too (nothing else changed), so runs name it.
    expect((await cli(['apply', '--repo', root])).stdout).toContain('nothing to apply');
    expect(byId(await statusJson(root), 'a')).toMatchObject({ commit: first, gitCommit: first });
    expect((await cli(['status', '--repo', root])).stdout).toMatch(new RegExp(`a\\s+active\\s+synced.*@${first.slice(0, 7)}`));

    // HEAD moves on with commits that do not touch a: its commit stays the one that last did.
    writeFiles(root, { 'README.md': 'more\n', 'connectors/b.yaml': connector({ prompt: 'b2' }) });
    git(root, 'commit', '-qam', 'b and readme');
    const second = git(root, 'rev-parse', 'HEAD');
    s = await statusJson(root);
    expect(byId(s, 'a')?.commit).toBe(first);
    expect(byId(s, 'b')?.sync.status).toBe('out-of-sync');

    // A commit touching only its prompt file is a commit of a.
    writeFiles(root, { 'connectors/a.prompt.hbs': 'v2' });
    expect(byId(await statusJson(root), 'a')?.sync).toMatchObject({ status: 'out-of-sync', reason: 'changed' });
    git(root, 'commit', '-qam', 'prompt');
    await cli(['apply', '--repo', root]);
    const third = git(root, 'rev-parse', 'HEAD');
    expect(third).not.toBe(second);
    s = await statusJson(root);
    expect(byId(s, 'a')).toMatchObject({ commit: third, sync: { status: 'synced' } });
    expect(byId(s, 'b')).toMatchObject({ commit: second, sync: { status: 'synced' } });
  });

  it('counts only the hub\'s own commits as the last state commit', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/a.yaml': connector({ prompt: 'hello' }) });
    const fake = fakeClaudeEnv();
    expect((await cli(['run', 'a', '--repo', root], { env: fake.env })).code).toBe(0);
    expect((await cli(['snapshot', '--repo', root])).code).toBe(0);
    const hubCommit = git(root, 'rev-parse', 'HEAD');
    // A person commits a change under state/ (a note, a fix by hand): not the hub's.
    writeFiles(root, { 'state/NOTES.md': 'a note\n' });
    git(root, 'add', 'state');
    git(root, 'commit', '-qm', 'state: my notes');
    const s = await statusJson(root);
    expect(s.git.lastCommit).toMatchObject({ sha: hubCommit, subject: expect.stringMatching(/^state: 1 run/) });
  });

  it('says whether a hub runs on the repository: its pid, lock and address', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/a.yaml': connector({ schedule: '0 9 * * *' }) });
    await cli(['apply', '--repo', root]);
    const idle = await statusJson(root);
    expect(idle.hub).toEqual({ running: false, pid: null, url: null, lock: null });
    expect((await cli(['status', '--repo', root])).stdout).toContain('hub: not running on this repository; next-run times apply only while a hub runs (agent-hub start)');

    const d = await startDaemon(root, fakeClaudeEnv().env);
    const lock = path.join(root, '.agent-hub/hub.lock');
    const running = await statusJson(root);
    expect(running.hub).toMatchObject({ running: true, pid: d.proc.pid, url: `${d.url}/`, lock, status: 'ok' });
    expect((await cli(['status', '--repo', root])).stdout).toContain(`hub: running (pid ${d.proc.pid}, lock ${lock}) at ${d.url}/`);
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect((await statusJson(root)).hub.running).toBe(false);

    // A lock left by a hub killed -9: no hub runs, and status names the lock as stale.
    const gone = spawnSync('true').pid;
    writeFileSync(lock, `${gone}\n`);
    expect((await statusJson(root)).hub).toEqual({ running: false, pid: null, url: null, lock, staleLock: 'that process is gone' });
    expect((await cli(['status', '--repo', root])).stdout).toContain(`hub: not running on this repository (a stale lock ${lock} is left: that process is gone; the next start takes it over)`);
  });
});

describe('the recorded commit follows HEAD', () => {
  it('a running hub records the commit a connector\'s files are in once they are committed, and runs name it', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'README.md': 'hub\n' });
    writeFiles(root, { 'connectors/a.yaml': connector({ prompt: 'hello' }) });
    const fake = fakeClaudeEnv();
    const d = await startDaemon(root, fake.env);
    type Api = { gitCommit: string | null };
    expect((await d.api<Api>('/api/connectors/a')).body.gitCommit).toBeNull();
    git(root, 'add', 'connectors');
    git(root, 'commit', '-qm', 'connector a');
    const sha = git(root, 'rev-parse', 'HEAD');
    // A commit changes no connector file: the hub's next reconcile other than a file event (resync, pull, SIGHUP, the API) sees it.
    expect((await d.api('/api/reconcile', { method: 'POST', body: '{}' })).status).toBeLessThan(300);
    expect((await d.api<Api>('/api/connectors/a')).body.gitCommit).toBe(sha);
    const run = await d.api<{ id: string }>('/api/connectors/a/run', { method: 'POST', body: '{}' });
    await eventually(async () => expect((await d.api<{ status: string; gitCommit: string | null }>(`/api/executions/${run.body.id}`)).body).toMatchObject({ status: 'success', gitCommit: sha }));
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
  });
});

describe('status reads cleanly', () => {
  it('no empty table before anything is applied; run times in one form; files waiting say who commits them when no hub runs', async () => {
    const root = gitdir({ 'connectors/a.yaml': connector({ prompt: 'hi' }) });
    const before = await cli(['status', '--repo', root]);
    expect(before.stdout).not.toContain('ID ');
    expect(before.stdout).toContain('connectors/a.yaml: new file, not applied yet');
    expect((await cli(['run', 'a', '--repo', root], { env: fakeClaudeEnv().env })).code).toBe(0);
    const after = (await cli(['status', '--repo', root])).stdout;
    // NEXT RUN reads 2026-11-26 09:00Z: LAST RUN the same way, not 2026-11-26T05:42:40.135Z.
    expect(after).toMatch(/\ba +active +synced +manual only +- +success \d{4}-\d\d-\d\d \d\d:\d\dZ /);
    // The run record and its transcript.
    expect(after).toContain('2 files waiting (a hub commits them at its interval once started; agent-hub snapshot commits them now)');
  });
});

describe('a directory that is not a hub', () => {
  it('gets a clear error from every command but init, and no .agent-hub/ appears', async () => {
    const dir = testdir({ 'notes.txt': 'not a hub\n' });
    const commands = [['validate'], ['plan'], ['apply'], ['render', 'x'], ['run', 'x'], ['status'], ['history'], ['show', 'r1'], ['snapshot'], ['restore'], ['start', '--init-only']];
    for (const args of commands) {
      const r = await cli([...args, '--repo', dir]);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({
        args, code: 1, stderr: `agent-hub: ${dir} is not an agent-hub repository: no connectors/ or hub.yaml; run \`agent-hub init ${dir}\` to make it one, or pass --repo DIR\n`,
      });
    }
    // Without --repo, the current directory, and init's command names no directory.
    const here = await cli(['status'], { cwd: dir });
    expect(here.stderr).toContain('run `agent-hub init` to make it one');
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    // init makes it one.
    expect((await cli(['init', dir])).code).toBe(0);
    expect((await cli(['validate', '--repo', dir])).code).toBe(0);
    expect(existsSync(path.join(dir, 'hub.yaml'))).toBe(true);
  });

  it('inside a hub (its connectors/ directory) names the hub instead of suggesting a hub in the hub', async () => {
    const root = testdir({ 'connectors/a.yaml': 'prompt: x\n', 'connectors/partials/p.hbs': 'x' });
    for (const sub of ['connectors', 'connectors/partials']) {
      const r = await cli(['validate'], { cwd: path.join(root, sub) });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`agent-hub: ${path.join(root, sub)} is not an agent-hub repository: it is inside the hub ${root}; run agent-hub there, or pass --repo ${root}\n`);
    }
    expect(readdirSync(path.join(root, 'connectors'))).toEqual(['a.yaml', 'partials']);
  });
});
