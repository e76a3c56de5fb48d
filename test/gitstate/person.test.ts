import { describe, expect, it, onTestFinished } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Hub } from '../../src/hub.js';
import { git, gitdir, testdir, writeFiles } from '../helpers/repo.js';
import { fakeClaudeEnv } from '../helpers/fake-agent.js';
import { cli } from '../helpers/cli.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

/** A committed hub repo with a started hub (no commit loop: the tests commit when they choose). */
async function hubRepo() {
  const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/a.yaml': yaml({ prompt: 'hello' }), 'notes.md': 'v1\n' });
  const logged: Array<{ obj: object; msg?: string }> = [];
  const note = (obj: object, msg?: string) => void logged.push({ obj, msg });
  const hub = new Hub({ repo: root, env: fakeClaudeEnv().env, log: { debug: note, info: note, warn: note, error: note } });
  onTestFinished(async () => {
    try { await hub.stop(0); } catch { /* stopped */ }
  });
  await hub.start({ commitLoop: false });
  const run = async () => hub.executor.waitFinal((hub.run('a') as { id: string }).id);
  return { root, hub, run, logged };
}

const trailers = (root: string, ref = 'HEAD') => git(root, 'log', '--format=%B', ref).match(/^Agent-Hub-Run: .*$/gm) ?? [];

describe("a person's git work comes first", () => {
  it('between commits the work tree and the index show nothing of the hub: a person can rebase or stash at any time', async () => {
    const { root, hub, run } = await hubRepo();
    await run();
    await hub.gitState.commit();
    const first = await run();
    const second = await run();
    // Two runs finished and wait for the next commit: nothing in git status, so `git rebase` or `git stash pop` is not refused.
    expect(git(root, 'status', '--porcelain')).toBe('');
    writeFiles(root, { 'notes.md': 'v2\n' });
    git(root, 'commit', '-qam', 'a person\'s commit');
    git(root, 'rebase', '-q', 'HEAD~1', '--exec', 'true'); // refused with "You have unstaged changes" when state files are modified
    expect((await hub.gitState.commit()).runs).toBe(2);
    expect(git(root, 'status', '--porcelain')).toBe('');
    expect(trailers(root, 'HEAD~0').slice(0, 2).sort()).toEqual([`Agent-Hub-Run: ${first.id} a success`, `Agent-Hub-Run: ${second.id} a success`].sort());
    // The committed record is in the work tree, as git checkout would leave it.
    const file = `state/runs/a/${first.createdAt.slice(0, 4)}/${first.createdAt.slice(5, 7)}/${first.id}.json`;
    expect(git(root, 'show', `HEAD:${file}`)).toContain(`"id": "${first.id}"`);
    expect(git(root, 'diff', 'HEAD', '--stat')).toBe('');
  });

  it('a person who checks out a feature branch gets no state commit on it; commits resume on the branch the hub started on', async () => {
    const { root, hub, run, logged } = await hubRepo();
    git(root, 'checkout', '-qb', 'feature');
    const feature = git(root, 'rev-parse', 'HEAD');
    const e = await run();
    const outcome = await hub.gitState.commit();
    expect(outcome).toMatchObject({ sha: null, deferred: 'feature is checked out, not main: state is committed only on main and waits until it is checked out again (or set state.onBranch: feature in hub.yaml to commit on feature from now on)' });
    await hub.gitState.commit();
    expect(git(root, 'rev-parse', 'feature')).toBe(feature);
    expect(git(root, 'rev-parse', 'main')).toBe(feature);
    expect(logged.filter((l) => l.msg === 'state commits paused')).toHaveLength(1); // once, not at every pass
    expect(hub.gitState.health().failing.commit?.error).toContain('feature is checked out, not main');
    const status = await cli(['status', '--repo', root]);
    expect(status.stdout).toContain('state commits paused: feature is checked out, not main');

    // A restart (systemd after a crash) while the feature branch is still checked out keeps committing on main only.
    await hub.stop(0);
    const n = (obj: object, msg?: string) => void logged.push({ obj, msg });
    const next = new Hub({ repo: root, env: fakeClaudeEnv().env, log: { debug: n, info: n, warn: n, error: n } });
    onTestFinished(() => next.stop(0));
    await next.start({ commitLoop: false });
    expect(await next.gitState.commit({ snapshotAlone: true })).toMatchObject({ sha: null, deferred: expect.stringContaining('feature is checked out, not main') });
    expect(git(root, 'rev-parse', 'feature')).toBe(feature);

    git(root, 'checkout', '-q', 'main');
    expect((await next.gitState.commit()).runs).toBe(1);
    expect(trailers(root, 'main')).toEqual([`Agent-Hub-Run: ${e.id} a success`]);
    expect(git(root, 'rev-parse', 'feature')).toBe(feature);
    expect(logged.some((l) => l.msg === 'state commits resumed')).toBe(true);
    expect((await cli(['status', '--repo', root])).stdout).not.toContain('paused');
  });

  it('state.onBranch moves the hub to another branch for good', async () => {
    const { root, hub, run } = await hubRepo();
    git(root, 'checkout', '-qb', 'prod');
    const e = await run();
    expect((await hub.gitState.commit()).deferred).toContain('set state.onBranch: prod');
    writeFiles(root, { 'hub.yaml': 'state:\n  onBranch: prod\n' });
    expect(hub.reloadConfig()).toEqual({ applied: true, restartNeeded: [] });
    expect((await hub.gitState.commit()).runs).toBe(1);
    expect(trailers(root, 'prod')).toEqual([`Agent-Hub-Run: ${e.id} a success`]);
    expect(trailers(root, 'main')).toEqual([]);
  });

  it('with commit.gpgsign=true the hub\'s commits are signed as git commit signs them', async () => {
    const { root, hub, run } = await hubRepo();
    // A stand-in for gpg: git hands it the payload and takes the signature it prints.
    const bin = testdir();
    const signer = path.join(bin, 'fake-gpg');
    writeFileSync(signer, '#!/bin/sh\ncat >/dev/null\necho "[GNUPG:] SIG_CREATED D 1 8 00 1700000000 FAKEKEY" >&2\nprintf -- "-----BEGIN PGP SIGNATURE-----\\n\\nfake-signature\\n-----END PGP SIGNATURE-----\\n"\n');
    chmodSync(signer, 0o755);
    git(root, 'config', 'gpg.program', signer);
    git(root, 'config', 'commit.gpgsign', 'true');
    await run();
    expect((await hub.gitState.commit()).sha).not.toBeNull();
    expect(git(root, 'cat-file', '-p', 'HEAD')).toMatch(/^gpgsig -----BEGIN PGP SIGNATURE-----\n \n fake-signature\n -----END PGP SIGNATURE-----$/m);

    // A signer that cannot sign (no key, a passphrase prompt): refused with the setting named, records kept.
    writeFileSync(signer, '#!/bin/sh\necho "gpg: signing failed: No secret key" >&2\nexit 2\n');
    const head = git(root, 'rev-parse', 'HEAD');
    const e = await run();
    await expect(hub.gitState.commit()).rejects.toThrow(/commit.gpgsign is true but the state commit could not be signed: .*gpg failed to sign the data.* set commit.gpgsign=false for this repository/);
    expect(git(root, 'rev-parse', 'HEAD')).toBe(head);
    git(root, 'config', 'commit.gpgsign', 'false');
    expect((await hub.gitState.commit()).runs).toBe(1);
    expect(trailers(root, 'HEAD~0')[0]).toBe(`Agent-Hub-Run: ${e.id} a success`);
  });
  it("a person's git commit waiting for its editor is never broken: the hub's commit waits until it is done", async () => {
    const { root, hub, run } = await hubRepo();
    const e = await run();
    writeFiles(root, { 'notes.md': 'v2\n' });
    git(root, 'add', 'notes.md');
    // git reads HEAD, lets go of index.lock, opens the editor, then moves HEAD from what it read.
    // Started the way a terminal starts it, not as a child of this process (the hub's own git commands are).
    const exitFile = path.join(testdir(), 'exit');
    spawnSync('sh', ['-c', `(git commit >/dev/null 2>&1; echo $? > '${exitFile}') &`], { cwd: root, env: { ...process.env, GIT_EDITOR: 'sleep 2; echo "a person\'s commit" >' }, stdio: 'ignore' });
    const done = (async () => {
      for (let i = 0; i < 200 && !existsSync(exitFile); i++) await new Promise((r) => setTimeout(r, 50));
      return Number(readFileSync(exitFile, 'utf8'));
    })();
    await new Promise((r) => setTimeout(r, 500));
    const put = await hub.gitState.commit();
    expect(put.sha).toBeNull();
    expect(put.deferred).toMatch(/^a git command is running in this repository \(pid \d+: git commit\)/);
    expect(await done).toBe(0);
    expect(git(root, 'log', '-1', '--format=%s')).toBe("a person's commit");
    expect((await hub.gitState.commit()).runs).toBe(1);
    expect(trailers(root, 'HEAD~0')[0]).toBe(`Agent-Hub-Run: ${e.id} a success`);
  });
});
