import { describe, expect, it, onTestFinished } from 'vitest';
import path from 'node:path';
import { Hub } from '../../src/hub.js';
import { getConnector } from '../../src/registry/connectors.js';
import { git, testdir, writeFiles } from '../helpers/repo.js';
import { fakeClaudeEnv } from '../helpers/fake-agent.js';
import { cli } from '../helpers/cli.js';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

/** A bare remote, the hub's clone of it, and a second clone where "someone else" pushes. */
function setup(hubYaml = 'remote:\n  enabled: true\n') {
  const base = testdir();
  const bare = path.join(base, 'remote.git');
  git(base, 'init', '-q', '--bare', '--initial-branch=main', bare);
  const seed = path.join(base, 'seed');
  git(base, 'clone', '-q', bare, seed);
  writeFiles(seed, { '.gitignore': '.agent-hub/\n', 'hub.yaml': hubYaml, 'connectors/a.yaml': yaml({ prompt: 'a v1' }) });
  git(seed, 'add', '-A');
  git(seed, 'commit', '-qm', 'hub');
  git(seed, 'push', '-q', 'origin', 'main');
  const hubDir = path.join(base, 'hub');
  git(base, 'clone', '-q', bare, hubDir);
  const other = path.join(base, 'other');
  git(base, 'clone', '-q', bare, other);
  return { bare, hubDir, other };
}

async function startHub(dir: string, logged: Array<{ obj: object; msg?: string }> = [], pushBackoffMs = [10, 20, 40]) {
  const fake = fakeClaudeEnv();
  const note = (obj: object, msg?: string) => void logged.push({ obj, msg });
  const hub = new Hub({ repo: dir, env: fake.env, pushBackoffMs, log: { debug: note, info: note, warn: note, error: note } });
  onTestFinished(async () => {
    try { await hub.stop(0); } catch { /* stopped */ }
  });
  await hub.start({ commitLoop: false });
  return hub;
}

/** Commits, then waits for the push that follows in the background. */
async function commitAndPush(hub: Hub) {
  const outcome = await hub.gitState.commit();
  await hub.gitState.pushed();
  return outcome;
}

function push(other: string, files: Record<string, string>, message: string) {
  git(other, 'pull', '-q', '--rebase');
  writeFiles(other, files);
  git(other, 'add', '-A');
  git(other, 'commit', '-qm', message);
  git(other, 'push', '-q', 'origin', 'main');
}

describe('remote sync', () => {
  it('pulls merged connector changes and applies them', async () => {
    const { hubDir, other } = setup();
    const logged: Array<{ obj: object; msg?: string }> = [];
    const hub = await startHub(hubDir, logged);
    const before = git(hubDir, 'rev-parse', '--short=7', 'HEAD');
    push(other, { 'connectors/a.yaml': yaml({ prompt: 'a v2' }), 'connectors/new.yaml': yaml({ prompt: 'new' }) }, 'change connectors');
    await hub.syncRemote();
    // The log says what came in, as a range `git log` takes.
    expect(logged.find((l) => l.msg === 'pulled from the remote')?.obj).toEqual({ remote: 'origin', range: `${before}..${git(other, 'rev-parse', '--short=7', 'HEAD')}`, replayed: 0 });
    expect(getConnector(hub.db, 'a')?.version.template).toBe('a v2');
    expect(getConnector(hub.db, 'new')?.active).toBe(true);
    expect(git(hubDir, 'rev-parse', 'HEAD')).toBe(git(other, 'rev-parse', 'HEAD'));
  });

  it('a rejected push replays the hub\'s commits on top of the remote and pushes again', async () => {
    const { hubDir, other, bare } = setup();
    const hub = await startHub(hubDir);
    const e = await hub.executor.waitFinal((hub.run('a') as { id: string }).id);
    // Someone pushes while the hub has not fetched: the hub's push is rejected first.
    push(other, { 'connectors/b.yaml': yaml({ prompt: 'b' }) }, 'add b');
    const outcome = await commitAndPush(hub);
    expect(outcome.sha).not.toBeNull();
    const remoteLog = git(bare, 'log', '--format=%s', 'main').split('\n');
    expect(remoteLog).toEqual(['state: 1 run (1 success), $0.0012', 'add b', 'hub']);
    expect(git(bare, 'log', '-1', '--format=%B', 'main')).toContain(`Agent-Hub-Run: ${e.id} a success`);
    expect(git(hubDir, 'rev-parse', 'HEAD')).toBe(git(bare, 'rev-parse', 'main'));
    expect(git(hubDir, 'status', '--porcelain')).toBe('');
    expect(git(hubDir, 'show', 'HEAD:connectors/b.yaml')).toBe(yaml({ prompt: 'b' }));
  });

  it('reports a diverged change to connectors instead of forcing it', async () => {
    const { hubDir, other, bare } = setup();
    const hub = await startHub(hubDir);
    // A person commits a connector change on the hub machine, and the remote moves too.
    writeFiles(hubDir, { 'connectors/a.yaml': yaml({ prompt: 'local edit' }) });
    git(hubDir, 'commit', '-qam', 'local tweak');
    const localHead = git(hubDir, 'rev-parse', 'HEAD');
    push(other, { 'connectors/a.yaml': yaml({ prompt: 'remote edit' }) }, 'remote tweak');
    const remoteHead = git(bare, 'rev-parse', 'main');
    const pulled = await hub.gitState.sync();
    expect(pulled?.diverged).toMatch(/1 local commit\(s\) not made by agent-hub .* reconcile them by hand/);
    expect(git(hubDir, 'rev-parse', 'HEAD')).toBe(localHead);
    expect(git(bare, 'rev-parse', 'main')).toBe(remoteHead);
  });

  it('with state.branch, pushes only the state branch', async () => {
    const { hubDir, bare } = setup('remote:\n  enabled: true\nstate:\n  branch: agent-hub/state\n');
    const mainBefore = git(bare, 'rev-parse', 'main');
    const hub = await startHub(hubDir);
    await hub.executor.waitFinal((hub.run('a') as { id: string }).id);
    await commitAndPush(hub);
    expect(git(bare, 'rev-parse', 'main')).toBe(mainBefore);
    expect(git(bare, 'log', '--format=%s', 'agent-hub/state')).toBe('state: 1 run (1 success), $0.0012');
    expect(git(bare, 'for-each-ref', '--format=%(refname)').split('\n').sort()).toEqual(['refs/heads/agent-hub/state', 'refs/heads/main']);
  });

  it('with state.branch, a push rejected because the state branch moved replays the hub\'s commits on top', async () => {
    const { hubDir, bare } = setup('remote:\n  enabled: true\nstate:\n  branch: agent-hub/state\n');
    const other = path.join(path.dirname(hubDir), 'other-hub');
    git(path.dirname(hubDir), 'clone', '-q', bare, other);
    const first = await startHub(hubDir);
    const second = await startHub(other);
    const a = await first.executor.waitFinal((first.run('a') as { id: string }).id);
    await commitAndPush(first); // pushed: the remote state branch starts here
    const b = await second.executor.waitFinal((second.run('a') as { id: string }).id);
    await commitAndPush(second); // rejected first (second never fetched it), then replayed on top and pushed
    const log = git(bare, 'log', '--format=%B', 'agent-hub/state');
    expect(log.match(/^Agent-Hub-Run: .*$/gm)).toEqual([`Agent-Hub-Run: ${b.id} a success`, `Agent-Hub-Run: ${a.id} a success`]);
    expect(git(bare, 'rev-list', '--count', 'agent-hub/state')).toBe('2'); // linear: one on top of the other
    expect(second.gitState.health().failing).toEqual({});
  });

  it('with state.branch, a fresh clone restores from the remote state branch and continues it', async () => {
    const { hubDir, bare } = setup('remote:\n  enabled: true\nstate:\n  branch: agent-hub/state\n');
    const hub = await startHub(hubDir);
    await hub.executor.waitFinal((hub.run('a') as { id: string }).id);
    await commitAndPush(hub);
    await hub.stop(0);
    const original = (await cli(['history', '--repo', hubDir, '--json'])).stdout;
    const stateTip = git(bare, 'rev-parse', 'agent-hub/state');

    // The machine is lost: a new one clones main, which has no state branch of its own yet.
    const clone = path.join(path.dirname(hubDir), 'new-machine');
    git(path.dirname(hubDir), 'clone', '-q', bare, clone);
    // history and show read the committed state without a database, and change nothing.
    expect((await cli(['history', '--repo', clone, '--json'])).stdout).toBe(original);
    expect(git(clone, 'for-each-ref', '--format=%(refname)', 'refs/heads')).toBe('refs/heads/main');
    expect((await cli(['restore', '--repo', clone])).stdout).toContain('restored 1 connector and 1 run');
    expect((await cli(['history', '--repo', clone, '--json'])).stdout).toBe(original);
    rmSync(path.join(clone, '.agent-hub'), { recursive: true, force: true });
    const next = await startHub(clone); // a start without a database restores too
    expect(JSON.parse((await cli(['history', '--repo', clone, '--json'])).stdout)).toHaveLength(1);
    await next.gitState.sync(); // no local state branch yet: nothing to push, and nothing failing
    expect(next.gitState.health().failing).toEqual({});
    await next.executor.waitFinal((next.run('a') as { id: string }).id);
    await commitAndPush(next);
    expect(git(bare, 'rev-parse', 'agent-hub/state~1')).toBe(stateTip); // continued, not started over
    expect(git(bare, 'log', '-1', '--format=%B', 'agent-hub/state').match(/^Agent-Hub-Run:/gm)).toHaveLength(1); // the restored run is not committed again
    expect(git(bare, 'ls-tree', '-r', '--name-only', 'agent-hub/state', 'state/runs').split('\n').filter((p) => p.endsWith('.json'))).toHaveLength(2);
  });

  it('a fast-forward blocked by an uncommitted local edit is reported; the edit is kept', async () => {
    const { hubDir, other } = setup();
    const hub = await startHub(hubDir);
    writeFiles(hubDir, { 'connectors/a.yaml': yaml({ prompt: 'someone is editing this on the server' }) });
    const head = git(hubDir, 'rev-parse', 'HEAD');
    push(other, { 'connectors/a.yaml': yaml({ prompt: 'a v2 from the remote' }) }, 'remote change');
    const pulled = await hub.gitState.sync();
    expect(pulled?.diverged).toMatch(/cannot update main to origin\/main: local changes are in the way/);
    expect(git(hubDir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(hubDir, 'diff', '--name-only')).toBe('connectors/a.yaml');
    expect(git(hubDir, 'show', ':connectors/a.yaml')).toBe(yaml({ prompt: 'a v1' }));
  });

  it('hub.yaml changes to the remote and the state author apply without a restart; state.branch waits for one', async () => {
    const { hubDir, bare } = setup('');
    const hub = await startHub(hubDir);
    const run = () => hub.executor.waitFinal((hub.run('a') as { id: string }).id);
    await run();
    await commitAndPush(hub);
    expect(git(bare, 'log', '--format=%s', 'main')).toBe('hub'); // no remote yet: nothing pushed

    writeFiles(hubDir, { 'hub.yaml': 'remote:\n  enabled: true\nstate:\n  author: { name: Ops Bot, email: ops@example.com }\n' });
    expect(hub.reloadConfig()).toEqual({ applied: true, restartNeeded: [] });
    await run();
    await commitAndPush(hub);
    expect(git(bare, 'log', '--format=%an: %s', 'main').split('\n')).toEqual(['Ops Bot: state: 1 run (1 success), $0.0012', 'agent-hub: state: 1 run (1 success), $0.0012', 'Test: hub']);

    writeFiles(hubDir, { 'hub.yaml': 'remote:\n  enabled: true\nstate:\n  branch: agent-hub/state\n' });
    expect(hub.reloadConfig()).toEqual({ applied: true, restartNeeded: ['state.branch'] });
    await run();
    await commitAndPush(hub);
    expect(git(bare, 'log', '-1', '--format=%an: %s', 'main')).toBe('agent-hub: state: 1 run (1 success), $0.0012'); // still the checked-out branch
  });

  it('a remote that hangs is given up after remote.timeout; commits go on meanwhile', async () => {
    const { hubDir } = setup('remote:\n  enabled: true\n  timeout: 300ms\n');
    // A remote whose end never answers, like a connection into a black hole.
    git(hubDir, 'config', 'protocol.ext.allow', 'always');
    git(hubDir, 'remote', 'set-url', 'origin', 'ext::sh -c sleep% 20');
    const hub = await startHub(hubDir);
    const started = Date.now();
    await expect(hub.gitState.sync()).rejects.toThrow(/git fetch --quiet origin failed .*timed out after 300 ms \(remote.timeout\)/s);
    expect(Date.now() - started).toBeLessThan(5000);
    await hub.executor.waitFinal((hub.run('a') as { id: string }).id);
    const pushing = Date.now();
    expect((await commitAndPush(hub)).sha).not.toBeNull(); // committed; the push gives up and is retried later
    expect(Date.now() - pushing).toBeLessThan(5000);
    expect(git(hubDir, 'log', '-1', '--format=%s')).toBe('state: 1 run (1 success), $0.0012');
  });

  it('a push refused by the remote\'s hook shows what the hook said', async () => {
    const { hubDir, bare } = setup();
    const hook = path.join(bare, 'hooks/pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "main is protected: state commits need a pull request" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const logged: Array<{ obj: object; msg?: string }> = [];
    const hub = await startHub(hubDir, logged);
    await hub.executor.waitFinal((hub.run('a') as { id: string }).id);
    expect((await commitAndPush(hub)).sha).not.toBeNull(); // committed locally all the same
    const error = hub.gitState.health().failing.push?.error ?? '';
    expect(error).toContain('origin refused the push of main: [remote rejected] (pre-receive hook declined)');
    expect(error).toContain('remote: main is protected: state commits need a pull request');
    expect(logged.find((l) => l.msg === 'state push failed; will retry')?.obj).toEqual({ err: expect.stringContaining('remote: main is protected') });
    expect(git(bare, 'log', '--format=%s', 'main')).toBe('hub');
  });

  it('commits keep landing while a rejected push waits to try again', async () => {
    const { hubDir, other, bare } = setup();
    const hub = await startHub(hubDir, [], [60_000]); // a long pause before the second attempt
    await hub.executor.waitFinal((hub.run('a') as { id: string }).id);
    push(other, { 'connectors/b.yaml': yaml({ prompt: 'b' }) }, 'add b'); // the hub's first push is rejected
    const first = await hub.gitState.commit();
    expect(first.sha).not.toBeNull();
    // The push now pauses a minute before replaying; the next run's commit does not wait for it.
    const e = await hub.executor.waitFinal((hub.run('a') as { id: string }).id);
    const second = await hub.gitState.commit();
    expect(second.runs).toBe(1);
    expect(git(hubDir, 'log', '-1', '--format=%B')).toContain(`Agent-Hub-Run: ${e.id} a success`);
    expect(git(bare, 'log', '--format=%s', 'main').split('\n')).toEqual(['add b', 'hub']); // not pushed yet
    await hub.stop(0); // ends the pause: nothing left waiting, and the stop is not held up by it
  });

  it('a person\'s feature branch checked out on the hub machine is neither pulled nor pushed by the hub', async () => {
    const { hubDir, bare } = setup();
    const hub = await startHub(hubDir);
    git(hubDir, 'checkout', '-qb', 'feature');
    writeFiles(hubDir, { 'notes.md': 'work in progress\n' });
    git(hubDir, 'add', 'notes.md');
    git(hubDir, 'commit', '-qm', 'wip');
    await hub.gitState.sync();
    expect(git(bare, 'for-each-ref', '--format=%(refname)')).toBe('refs/heads/main');
    expect(hub.gitState.health().failing).toEqual({});
  });

  it('a push that fails on the way (a dropped connection) is tried again with backoff', async () => {
    const { hubDir, bare } = setup();
    // The remote end drops the first connection, then answers as usual.
    const flaky = path.join(path.dirname(bare), 'flaky-receive-pack');
    writeFileSync(flaky, `#!/bin/sh\nif [ ! -e "${flaky}.dropped" ]; then touch "${flaky}.dropped"; echo "connection reset by peer" >&2; exit 128; fi\nexec git-receive-pack "$@"\n`);
    chmodSync(flaky, 0o755);
    git(hubDir, 'config', 'remote.origin.receivepack', flaky);
    const logged: Array<{ obj: object; msg?: string }> = [];
    const hub = await startHub(hubDir, logged);
    const e = await hub.executor.waitFinal((hub.run('a') as { id: string }).id);
    await commitAndPush(hub);
    expect(logged.some((l) => l.msg === 'state push failed; trying again')).toBe(true);
    expect(git(bare, 'log', '-1', '--format=%B', 'main')).toContain(`Agent-Hub-Run: ${e.id} a success`);
    expect(hub.gitState.health().failing).toEqual({});
  });
});
