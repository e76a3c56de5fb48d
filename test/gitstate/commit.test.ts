import { describe, expect, it, onTestFinished } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Hub } from '../../src/hub.js';
import { git, gitdir, writeFiles } from '../helpers/repo.js';
import { fakeClaudeEnv } from '../helpers/fake-agent.js';
import { cli } from '../helpers/cli.js';
import { runFilePath } from '../../src/gitstate/records.js';
import { queueFile, queuedFiles } from '../../src/registry/git-outbox.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

/** A committed hub repo with a started hub (no commit loop: the tests commit when they choose). */
async function hubRepo(files: Record<string, string> = {}, extraEnv: Record<string, string> = {}) {
  const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/a.yaml': yaml({ prompt: 'hello' }), 'connectors/b.yaml': yaml({ prompt: 'x\n@fake is_error down' }), ...files });
  const fake = fakeClaudeEnv(extraEnv);
  const hub = new Hub({ repo: root, env: fake.env });
  onTestFinished(async () => {
    try { await hub.stop(0); } catch { /* stopped */ }
  });
  await hub.start({ commitLoop: false });
  const run = async (id: string) => hub.executor.waitFinal((hub.run(id) as { id: string }).id);
  return { root, hub, run };
}

describe('state commits on the checked-out branch', () => {
  it('commits run records and the snapshot with a summary and one trailer a run', async () => {
    const { root, hub, run } = await hubRepo();
    const a = await run('a');
    const b = await run('b');
    const waiting = await cli(['status', '--repo', root]);
    // Two run records and their transcripts.
    expect(waiting.stdout).toContain('state: not committed yet; 4 files waiting (a hub commits them at its interval once started; agent-hub snapshot commits them now)');
    const outcome = await hub.gitState.commit();
    expect(outcome).toMatchObject({ runs: 2, outputs: 0 });
    const status = JSON.parse((await cli(['status', '--repo', root, '--json'])).stdout) as { git: unknown };
    expect(status.git).toEqual({ pending: 0, lastCommit: { sha: outcome.sha, at: expect.any(String), subject: 'state: 2 runs (1 success, 1 failed), $0.0024', ref: 'main' } });
    expect(git(root, 'log', '-1', '--format=%an <%ae>%n%B')).toBe([
      'agent-hub <agent-hub@localhost>',
      'state: 2 runs (1 success, 1 failed), $0.0024',
      '',
      ...[a, b].sort((x, y) => (x.id < y.id ? -1 : 1)).map((e) => `Agent-Hub-Run: ${e.id} ${e.connectorId} ${e.status}`),
    ].join('\n'));
    const file = `state/runs/a/${a.createdAt.slice(0, 4)}/${a.createdAt.slice(5, 7)}/${a.id}.json`;
    expect(JSON.parse(readFileSync(path.join(root, file), 'utf8'))).toMatchObject({ id: a.id, connectorId: 'a', status: 'success', result: 'Done: hello' });
    expect(git(root, 'log', '--format=%s', '--', file)).toBe('state: 2 runs (1 success, 1 failed), $0.0024');
    expect(git(root, 'log', '--format=%h', `--grep=Agent-Hub-Run: ${b.id}`).split('\n')).toHaveLength(1);
    expect(git(root, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort()).toEqual([
      file, `state/runs/b/${b.createdAt.slice(0, 4)}/${b.createdAt.slice(5, 7)}/${b.id}.json`,
      file.replace(/\.json$/, '.transcript.jsonl'), `state/runs/b/${b.createdAt.slice(0, 4)}/${b.createdAt.slice(5, 7)}/${b.id}.transcript.jsonl`,
      'state/registry/config.jsonl', 'state/registry/connector-versions.jsonl', 'state/registry/connectors.jsonl', 'state/registry/meta.json', 'state/registry/schedule.jsonl',
    ].sort());
    // Nothing new: no commit.
    const head = git(root, 'rev-parse', 'HEAD');
    expect((await hub.gitState.commit()).sha).toBeNull();
    expect(git(root, 'rev-parse', 'HEAD')).toBe(head);
  });

  it('a commit that changes only a run\'s transcript (its write waited for disk space) does not list the run again', async () => {
    const { root, hub, run } = await hubRepo();
    const a = await run('a');
    expect((await hub.gitState.commit()).runs).toBe(1);
    // The transcript comes again later, as one written once space returned does after its record was committed.
    const transcript = runFilePath(a).replace(/\.json$/, '.transcript.jsonl');
    const abs = path.join(root, '.agent-hub', 'pending', transcript); // where records wait to be committed
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, `${git(root, 'show', `HEAD:${transcript}`)}{"type":"late"}\n`);
    queueFile(hub.db, { path: transcript, kind: 'run', runId: a.id });
    const later = await hub.gitState.commit();
    expect(git(root, 'show', '--name-only', '--format=', later.sha ?? 'HEAD')).toContain(transcript);
    expect(later.runs).toBe(0);
    expect(git(root, 'log', '--format=%h', `--grep=Agent-Hub-Run: ${a.id}`).split('\n')).toHaveLength(1);
  });

  it('leaves a user\'s staged and unstaged changes exactly as they were', async () => {
    const { root, hub, run } = await hubRepo({ 'notes.md': 'v1\n', 'connectors/c.yaml': yaml({ prompt: 'c' }) });
    writeFiles(root, { 'notes.md': 'v2 staged\n' });
    git(root, 'add', 'notes.md');
    writeFiles(root, { 'notes.md': 'v3 unstaged on top\n', 'connectors/c.yaml': yaml({ prompt: 'edited, not staged' }), 'scratch.txt': 'untracked\n' });
    const before = { staged: git(root, 'diff', '--cached'), unstaged: git(root, 'diff'), status: git(root, 'status', '--porcelain') };
    await run('a');
    const outcome = await hub.gitState.commit();
    expect(outcome.sha).not.toBeNull();
    expect(git(root, 'diff', '--cached')).toBe(before.staged);
    expect(git(root, 'diff')).toBe(before.unstaged);
    expect(git(root, 'status', '--porcelain')).toBe(before.status);
    expect(git(root, 'show', '--name-only', '--format=', 'HEAD').split('\n').every((f) => f.startsWith('state/'))).toBe(true);
  });

  it('a failing commit hook leaves the records queued (outside the work tree); the next commit takes them', async () => {
    const { root, hub, run } = await hubRepo();
    const hook = path.join(root, '.git/hooks/pre-commit');
    writeFileSync(hook, '#!/bin/sh\necho "lint says no" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const e = await run('a');
    await expect(hub.gitState.commit()).rejects.toThrow(/the pre-commit hook rejected the state commit: lint says no. The run records stay queued .* or set state.branch/);
    const file = path.join(root, '.agent-hub/pending/state/runs/a', e.createdAt.slice(0, 4), e.createdAt.slice(5, 7), `${e.id}.json`);
    expect(existsSync(file)).toBe(true);
    expect(git(root, 'status', '--porcelain')).toBe('');
    writeFileSync(hook, '#!/bin/sh\nexit 0\n');
    expect(await hub.gitState.commit()).toMatchObject({ runs: 1 });
    expect(git(root, 'log', '-1', '--format=%B')).toContain(`Agent-Hub-Run: ${e.id} a success`);
  });

  it('never removes an index.lock, however old: the commit waits, and says how to clear a leftover', async () => {
    const { root, hub, run } = await hubRepo();
    await run('a');
    // A person's `git commit` with its editor open for ten minutes holds this lock.
    const lock = path.join(root, '.git/index.lock');
    writeFileSync(lock, '');
    const old = new Date(Date.now() - 10 * 60_000);
    utimesSync(lock, old, old);
    expect(await hub.gitState.commit()).toMatchObject({ sha: null, deferred: '.git/index.lock has been there for 10 min: if no git command is running (an editor left open by git commit counts), remove it' });
    expect(existsSync(lock)).toBe(true);
    expect(hub.gitState.health().failing.commit?.error).toContain('index.lock');
    const status = await cli(['status', '--repo', root]);
    expect(status.stdout).toContain('state commits put off: .git/index.lock has been there for 10 min');
    rmSync(lock); // the person's commit finished
    expect(await hub.gitState.commit()).toMatchObject({ runs: 1 });
    expect(hub.gitState.health().failing).toEqual({});
  });

  it('waits while a person\'s merge, rebase, cherry-pick, revert or bisect is in progress', async () => {
    const { root, hub, run } = await hubRepo();
    await run('a');
    const head = git(root, 'rev-parse', 'HEAD');
    for (const [file, what] of [['MERGE_HEAD', 'a merge'], ['rebase-merge', 'a rebase'], ['rebase-apply', 'a rebase'], ['CHERRY_PICK_HEAD', 'a cherry-pick'], ['REVERT_HEAD', 'a revert'], ['BISECT_LOG', 'a bisect']] as const) {
      const marker = path.join(root, '.git', file);
      if (file.startsWith('rebase')) mkdirSync(marker);
      else writeFileSync(marker, `${head}\n`);
      expect(await hub.gitState.commit()).toMatchObject({ sha: null, deferred: expect.stringContaining(`${what}`) });
      rmSync(marker, { recursive: true });
    }
    expect(git(root, 'rev-parse', 'HEAD')).toBe(head);
    expect(await hub.gitState.commit()).toMatchObject({ runs: 1 });
  });

  it('packs the repository once git\'s auto-gc limits are passed, as git commit would', async () => {
    const { root, hub, run } = await hubRepo();
    // Two packs with gc.autoPackLimit=1: the next `git commit` would repack. Synchronously, to look at the result.
    git(root, 'repack', '-q');
    writeFiles(root, { 'notes.md': 'more\n' });
    git(root, 'add', 'notes.md');
    git(root, 'commit', '-qm', 'notes');
    git(root, 'repack', '-q');
    git(root, 'config', 'gc.autoPackLimit', '1');
    git(root, 'config', 'gc.autoDetach', 'false');
    const packs = () => readdirSync(path.join(root, '.git/objects/pack')).filter((f) => f.endsWith('.pack')).length;
    expect(packs()).toBe(2);
    await run('a');
    expect((await hub.gitState.commit()).sha).not.toBeNull();
    expect(packs()).toBe(1);
    expect(git(root, 'count-objects', '-v')).toMatch(/^count: 0$/m); // the hub's own commit is packed too

    // maintenance.auto=false is respected.
    git(root, 'config', 'maintenance.auto', 'false');
    await run('a');
    await hub.gitState.commit();
    expect(git(root, 'count-objects', '-v')).not.toMatch(/^count: 0$/m);
  });

  it('never commits a secret: the agent printed it, the record and the history have it redacted', async () => {
    const secret = 'ghp_do_not_commit_0123456789';
    const { root, hub, run } = await hubRepo({ 'connectors/s.yaml': yaml({ prompt: 'x\n@fake env GH_TOKEN', agent: { env: { GH_TOKEN: '${MY_TOKEN}' } } }) }, { MY_TOKEN: secret });
    const e = await run('s');
    expect(e.result).toBe('***');
    await hub.gitState.commit();
    const everything = git(root, 'log', '-p', '--all', '--format=%B');
    expect(everything).toContain(`Agent-Hub-Run: ${e.id} s success`);
    expect(everything).not.toContain(secret);
  });

  it('uses the configured author', async () => {
    const { root, hub, run } = await hubRepo({ 'hub.yaml': 'state:\n  author: { name: Ops Bot, email: ops@example.com }\n' });
    await run('a');
    await hub.gitState.commit();
    expect(git(root, 'log', '-1', '--format=%an <%ae> / %cn <%ce>')).toBe('Ops Bot <ops@example.com> / Ops Bot <ops@example.com>');
  });

  it('commits on shutdown, and a clone restores the same history', async () => {
    const { root, hub, run } = await hubRepo();
    await run('a');
    await run('b');
    await hub.stop(0);
    expect(git(root, 'status', '--porcelain')).toBe('');
    const clone = path.join(path.dirname(root), `${path.basename(root)}-clone`);
    git(path.dirname(root), 'clone', '-q', root, clone);
    onTestFinished(() => rmSync(clone, { recursive: true, force: true }));
    const original = (await cli(['history', '--repo', root, '--json'])).stdout;
    // Before any restore, history and show read what is committed.
    expect((await cli(['history', '--repo', clone, '--json'])).stdout).toBe(original);
    const first = (JSON.parse(original) as Array<{ id: string }>)[0]?.id as string;
    const shown = await cli(['show', first, '--repo', clone]);
    expect(shown.stdout).toContain(`run ${first}`);
    expect(shown.stderr).toContain('no local registry here: read from the state committed in git');
    const status = JSON.parse((await cli(['status', '--repo', clone, '--json'])).stdout) as { connectors: Array<{ id: string; state: string }> };
    expect(status.connectors.map((c) => `${c.id} ${c.state}`)).toEqual(['a active', 'b active']);
    expect(existsSync(path.join(clone, '.agent-hub'))).toBe(false);
    const restored = await cli(['restore', '--repo', clone]);
    expect(restored.stdout).toContain('restored 2 connectors and 2 runs');
    expect((await cli(['history', '--repo', clone, '--json'])).stdout).toBe(original);
    expect(JSON.parse(original)).toHaveLength(2);

    // A start on a clone with committed state and no database restores it first.
    const clone2 = `${clone}-2`;
    git(path.dirname(root), 'clone', '-q', root, clone2);
    onTestFinished(() => rmSync(clone2, { recursive: true, force: true }));
    expect((await cli(['start', '--repo', clone2, '--init-only'])).code).toBe(0);
    expect((await cli(['history', '--repo', clone2, '--json'])).stdout).toBe(original);
    expect(git(clone2, 'status', '--porcelain')).toBe('');
  });
});

describe('run records', () => {
  it('are on disk and queued when a wait for the run answers, a cancelled waiting retry\'s too', async () => {
    const { hub } = await hubRepo({ 'connectors/c.yaml': yaml({ prompt: 'x\n@fake is_error down', retry: { attempts: 2, backoff: { initial: '1h', max: '1h' } } }) });
    const first = await hub.executor.wait((hub.run('c') as { id: string }).id);
    expect(first.status).toBe('failed');
    // Queued once written: the queue is what the next commit takes.
    const queued = () => queuedFiles(hub.db).map((f) => f.path);
    expect(queued()).toContain(runFilePath(first));
    // The retry waits an hour; a new version of the connector drops it, recorded as cancelled.
    hub.executor.dropRetries('c');
    const last = await hub.executor.waitFinal(first.id);
    expect(last).toMatchObject({ attempt: 2, status: 'failed', errorKind: 'cancelled' });
    expect(queued()).toContain(runFilePath(last));
    expect(await hub.gitState.commit()).toMatchObject({ runs: 2 });
  });
});

describe('restore', () => {
  it('skips a run file that is not valid, names it with its line, and restores the rest', async () => {
    const { root, hub, run } = await hubRepo();
    const good = await run('a');
    const bad = await run('b');
    await hub.stop(0);
    const badFile = `state/runs/b/${bad.createdAt.slice(0, 4)}/${bad.createdAt.slice(5, 7)}/${bad.id}.json`;
    // A bad merge left conflict markers in one record.
    const text = readFileSync(path.join(root, badFile), 'utf8').split('\n');
    writeFileSync(path.join(root, badFile), [...text.slice(0, 3), '<<<<<<< HEAD', ...text.slice(3)].join('\n'));
    const restored = await cli(['restore', '--repo', root]);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('restored 2 connectors and 1 run');
    expect(restored.stderr).toMatch(new RegExp(`^${badFile}: line 4, column 1: not valid JSON .*skipped; fix the file`, 'm'));
    const history = JSON.parse((await cli(['history', '--repo', root, '--json'])).stdout) as Array<{ id: string }>;
    expect(history.map((e) => e.id)).toEqual([good.id]);
    // The broken file is the user's to fix: it is not queued to be committed as it is.
    expect((JSON.parse((await cli(['status', '--repo', root, '--json'])).stdout) as { git: { pending: number } }).git.pending).toBe(0);
  });
});

describe('state.branch', () => {
  it('commits to its own branch and leaves the work tree, the index and HEAD byte-for-byte unchanged', async () => {
    const { root, hub, run } = await hubRepo({ 'hub.yaml': 'state:\n  branch: agent-hub/state\n', 'notes.md': 'v1\n' });
    writeFiles(root, { 'notes.md': 'staged\n' });
    git(root, 'add', 'notes.md');
    writeFiles(root, { 'notes.md': 'unstaged\n' });
    const before = {
      index: readFileSync(path.join(root, '.git/index')), head: git(root, 'rev-parse', 'HEAD'), ref: git(root, 'symbolic-ref', 'HEAD'),
      status: git(root, 'status', '--porcelain'), log: git(root, 'log', '--format=%H'),
    };
    const e = await run('a');
    const first = await hub.gitState.commit();
    await run('b');
    const second = await hub.gitState.commit();
    expect(readFileSync(path.join(root, '.git/index')).equals(before.index)).toBe(true);
    expect(git(root, 'rev-parse', 'HEAD')).toBe(before.head);
    expect(git(root, 'symbolic-ref', 'HEAD')).toBe(before.ref);
    expect(git(root, 'status', '--porcelain')).toBe(before.status);
    expect(git(root, 'log', '--format=%H')).toBe(before.log);
    expect(existsSync(path.join(root, 'state'))).toBe(false);
    expect(git(root, 'rev-list', 'agent-hub/state').split('\n')).toEqual([second.sha, first.sha]);
    expect(git(root, 'show', `agent-hub/state:state/runs/a/${e.createdAt.slice(0, 4)}/${e.createdAt.slice(5, 7)}/${e.id}.json`)).toContain('"status": "success"');
    // restore reads from the state branch.
    await hub.stop(0);
    const restored = await cli(['restore', '--repo', root]);
    expect(restored.stdout).toContain('and 2 runs');
  });
});

describe('switching to state.branch', () => {
  it('the state branch starts with the state committed so far, so restore still has every run', async () => {
    const { root, hub, run } = await hubRepo();
    const before = await run('a');
    await hub.stop(0); // commits on main
    writeFiles(root, { 'hub.yaml': 'state:\n  branch: agent-hub/state\n' });
    git(root, 'add', 'hub.yaml');
    git(root, 'commit', '-qm', 'state on its own branch');
    const main = git(root, 'rev-parse', '--short', 'HEAD');
    const fake = fakeClaudeEnv();
    const next = new Hub({ repo: root, env: fake.env });
    onTestFinished(() => next.stop(0));
    await next.start({ commitLoop: false });
    const after = await next.executor.waitFinal((next.run('a') as { id: string }).id);
    await next.gitState.commit();
    expect(git(root, 'log', '--format=%an: %s', 'agent-hub/state').split('\n')).toEqual(['agent-hub: state: 1 run (1 success), $0.0012', `agent-hub: state: carried over from main at ${main}`]);
    const runs = git(root, 'ls-tree', '-r', '--name-only', 'agent-hub/state', 'state/runs').split('\n').filter((p) => p.endsWith('.json')).map((p) => path.basename(p, '.json'));
    expect(runs.sort()).toEqual([before.id, after.id].sort());
    await next.stop(0);
    expect((await cli(['restore', '--repo', root])).stdout).toContain('restored 2 connectors and 2 runs');
  });
});

describe('recovery', () => {
  it('a database lost after a crash: restore takes the run records waiting to be committed too, and the next commit commits them once', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/a.yaml': yaml({ prompt: 'hello' }) });
    const fake = fakeClaudeEnv();
    const first = new Hub({ repo: root, env: fake.env });
    await first.start({ commitLoop: false });
    const committed = await first.executor.waitFinal((first.run('a') as { id: string }).id);
    await first.gitState.commit();
    const lost = await first.executor.waitFinal((first.run('a') as { id: string }).id); // recorded on disk, not committed
    first.db.close(); // the process dies, and the database with it
    for (const f of readdirSync(path.join(root, '.agent-hub')).filter((n) => n.startsWith('hub.db'))) rmSync(path.join(root, '.agent-hub', f));

    const second = new Hub({ repo: root, env: fake.env });
    onTestFinished(() => second.stop(0));
    await second.start({ commitLoop: false });
    expect((await second.gitState.commit()).runs).toBe(1);
    const trailers = git(root, 'log', '-1', '--format=%B').match(/^Agent-Hub-Run: .*$/gm);
    expect(trailers).toEqual([`Agent-Hub-Run: ${lost.id} a success`]);
    expect(git(root, 'log', '--format=%B').match(new RegExp(`Agent-Hub-Run: ${committed.id}`, 'g'))).toHaveLength(1);
    expect(git(root, 'status', '--porcelain')).toBe('');
  });

  it('a run record removed before it was committed is written again from the registry', async () => {
    const { root, hub, run } = await hubRepo();
    const e = await run('a');
    const file = `state/runs/a/${e.createdAt.slice(0, 4)}/${e.createdAt.slice(5, 7)}/${e.id}.json`;
    const waiting = path.join(root, '.agent-hub/pending', file);
    const bytes = readFileSync(waiting, 'utf8');
    rmSync(waiting);
    expect((await hub.gitState.commit()).runs).toBe(1);
    expect(git(root, 'show', `HEAD:${file}`)).toBe(bytes.trimEnd());
  });

  it('a run record that cannot be written does not stop the hub; the next commit writes it', async () => {
    const { root, hub, run } = await hubRepo();
    // Something in the way of state/runs/a/ (as a full disk would be): the record cannot be written.
    writeFiles(root, { '.agent-hub/pending/state/runs/a': 'not a directory\n' });
    const blocked = await run('a');
    expect(blocked.status).toBe('success'); // recorded in the registry, and the queue goes on
    expect((await run('b')).status).toBe('failed');
    await hub.gitState.commit();
    expect(git(root, 'log', '-1', '--format=%B')).not.toContain(blocked.id);
    rmSync(path.join(root, '.agent-hub/pending/state/runs/a'));
    expect((await hub.gitState.commit()).runs).toBe(1);
    expect(git(root, 'log', '-1', '--format=%B')).toContain(`Agent-Hub-Run: ${blocked.id} a success`);
  });

  it('a run the last process did not finish gets its record (interrupted) at the next start', async () => {
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/a.yaml': yaml({ prompt: 'hello' }) });
    const fake = fakeClaudeEnv();
    const first = new Hub({ repo: root, env: fake.env });
    await first.start({ commitLoop: false });
    first.db.prepare("INSERT INTO executions (id, connector_id, status, created_at) VALUES ('20260101-000000-deadbeef', 'a', 'running', '2026-01-01T00:00:00.000Z')").run();
    first.db.close(); // the process dies: no drain, no final commit
    const second = new Hub({ repo: root, env: fake.env });
    onTestFinished(() => second.stop(0));
    await second.start({ commitLoop: false });
    const record = JSON.parse(readFileSync(path.join(root, '.agent-hub/pending/state/runs/a/2026/01/20260101-000000-deadbeef.json'), 'utf8'));
    expect(record).toMatchObject({ status: 'failed', errorKind: 'interrupted' });
    expect(await second.gitState.commit()).toMatchObject({ runs: 1 });
    expect(git(root, 'log', '-1', '--format=%B')).toContain('Agent-Hub-Run: 20260101-000000-deadbeef a failed');
  });
});
