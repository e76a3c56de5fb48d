import { describe, expect, it, onTestFinished } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Hub } from '../../src/hub.js';
import { treeWith } from '../../src/gitstate/trees.js';
import type { Logger } from '../../src/log/logger.js';
import { git, gitdir, testdir } from '../helpers/repo.js';
import { fakeClaudeEnv } from '../helpers/fake-agent.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
const blob = (dir: string, content: string) => execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: dir, input: content, encoding: 'utf8' }).trim();

/** A repository whose HEAD tracks `reports-link`, a symlink to a directory outside it. */
function repoWithTrackedLink(files: Record<string, string> = {}) {
  const outside = testdir();
  const root = gitdir({ '.gitignore': '.agent-hub/\n', ...files }, { commit: false });
  symlinkSync(outside, path.join(root, 'reports-link'));
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'initial');
  return { root, outside };
}

describe('the hub never replaces a tracked symlink', () => {
  it('an output under a path that is a symlink in HEAD is left out of the commit, which goes on without it', async () => {
    const { root, outside } = repoWithTrackedLink({
      'connectors/w.yaml': yaml({ prompt: 'x\n@fake result report', output: { saveTo: 'reports-link/{{connector.id}}.md' } }),
    });
    // A person replaced the link with a directory in the work tree and has not committed that.
    rmSync(path.join(root, 'reports-link'));
    mkdirSync(path.join(root, 'reports-link'));
    const errors: Array<{ obj: object; msg?: string }> = [];
    const log: Logger = { debug() {}, info() {}, warn() {}, error: (obj, msg) => errors.push({ obj, ...(msg ? { msg } : {}) }) };
    const hub = new Hub({ repo: root, env: fakeClaudeEnv().env, log });
    onTestFinished(async () => {
      try { await hub.stop(0); } catch { /* stopped */ }
    });
    await hub.start({ commitLoop: false });
    const r = hub.run('w');
    const e = await hub.executor.waitFinal((r as { id: string }).id);
    expect(e.status).toBe('success');
    const outcome = await hub.gitState.commit();
    expect(outcome).toMatchObject({ runs: 1, outputs: 0 });
    expect(git(root, 'ls-tree', 'HEAD', 'reports-link')).toMatch(/^120000 blob /);
    expect(git(root, 'ls-files', '-s', 'reports-link')).toMatch(/^120000 /);
    expect(git(root, 'show', '--name-only', '--format=', 'HEAD')).toContain(`${e.id}.json`);
    expect(errors).toContainEqual({ obj: { file: 'reports-link/w.md' }, msg: 'output not committed: "reports-link" is a symlink in the committed tree, and the hub never replaces one with a directory; the file stays in the work tree (commit it yourself if that is meant, or change output.saveTo)' });
    expect(readdirSync(outside)).toEqual([]);
    // Not queued again: the next commit has nothing to do.
    expect((await hub.gitState.commit()).sha).toBeNull();
  });

  it('treeWith refuses to put a directory or a file where the base tree has a symlink', async () => {
    const { root } = repoWithTrackedLink();
    const base = git(root, 'rev-parse', 'HEAD');
    await expect(treeWith(root, base, [{ path: 'reports-link/x.md', blob: blob(root, 'x') }])).rejects.toThrow('"reports-link" is a symlink in the committed tree');
    await expect(treeWith(root, base, [{ path: 'reports-link', blob: blob(root, 'x') }])).rejects.toThrow('"reports-link" is a symlink in the committed tree');
    // Taking a file out from under it leaves the link alone.
    expect(await treeWith(root, base, [{ path: 'reports-link/x.md', blob: null }])).toBe(git(root, 'rev-parse', 'HEAD^{tree}'));
  });
});

describe('state commits never go through a symlink planted in the work tree', () => {
  it('a state/runs symlink to a directory outside the repository puts the commit off until it is gone; nothing is written outside', async () => {
    const outside = testdir();
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/w.yaml': yaml({ prompt: 'x\n@fake result report' }) });
    const hub = new Hub({ repo: root, env: fakeClaudeEnv().env });
    onTestFinished(async () => {
      try { await hub.stop(0); } catch { /* stopped */ }
    });
    await hub.start({ commitLoop: false });
    mkdirSync(path.join(root, 'state'), { recursive: true });
    symlinkSync(outside, path.join(root, 'state', 'runs')); // planted after the start, not tracked
    const e = await hub.executor.waitFinal((hub.run('w') as { id: string }).id);
    const put = await hub.gitState.commit();
    expect(put.sha).toBeNull();
    expect(put.deferred).toMatch(/"state\/runs" is a symlink in the work tree .* remove it/);
    expect(readdirSync(outside)).toEqual([]);
    expect(git(root, 'status', '--porcelain', '--untracked-files=no')).toBe('');
    rmSync(path.join(root, 'state', 'runs'));
    expect((await hub.gitState.commit()).sha).not.toBeNull();
    expect(git(root, 'ls-tree', '-r', '--name-only', 'HEAD', 'state/runs')).toContain(`${e.id}.json`);
  });

  it('an output replaced by a symlink before the commit is left out: the file it points to never reaches git', async () => {
    const secret = path.join(testdir(), 'secret.txt');
    writeFileSync(secret, 'TOP-SECRET-OUTSIDE\n');
    const root = gitdir({ '.gitignore': '.agent-hub/\n', 'connectors/t.yaml': yaml({ prompt: 'x\n@fake result report', output: { saveTo: 'reports/t.md' } }) });
    const errors: string[] = [];
    const log: Logger = { debug() {}, info() {}, warn() {}, error: (_obj, msg) => errors.push(String(msg)) };
    const hub = new Hub({ repo: root, env: fakeClaudeEnv().env, log });
    onTestFinished(async () => {
      try { await hub.stop(0); } catch { /* stopped */ }
    });
    await hub.start({ commitLoop: false });
    const e = await hub.executor.waitFinal((hub.run('t') as { id: string }).id);
    expect(e.status).toBe('success');
    rmSync(path.join(root, 'reports', 't.md'));
    symlinkSync(secret, path.join(root, 'reports', 't.md'));
    expect((await hub.gitState.commit()).sha).not.toBeNull();
    expect(git(root, 'log', '-p', '--all')).not.toContain('TOP-SECRET');
    expect(git(root, 'ls-tree', '-r', '--name-only', 'HEAD')).not.toContain('reports/t.md');
    expect(errors.join('\n')).toMatch(/output not committed: "reports\/t\.md" is a symlink in the work tree/);
  });
});
