import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { treeWith } from '../../src/gitstate/trees.js';
import { git, gitdir, writeFiles } from '../helpers/repo.js';

const blob = (dir: string, content: string) => execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: dir, input: content, encoding: 'utf8' }).trim();

describe('treeWith (trees without an index)', () => {
  it('gives exactly the tree git itself writes, names that sort tricky included', async () => {
    const files = {
      'README.md': 'x', 'a.b': '1', 'a-b': '2', 'a/x': '3', 'a0': '4', 'state/runs/c/2026/01/r1.json': '5', 'state/runs/c-d/r2.json': '6', 'state/registry/meta.json': '7',
    };
    const dir = gitdir(files);
    const base = git(dir, 'rev-parse', 'HEAD');
    const added = { 'a/y': 'new', 'a.b': 'changed', 'state/runs/c/2026/01/r0.json': 'early', 'state/runs/c/2026/02/r9.json': 'next month', 'state/new/deep/file': 'deep', 'zz': 'last' };
    const ours = await treeWith(dir, base, Object.entries(added).map(([p, content]) => ({ path: p, blob: blob(dir, content) })));
    writeFiles(dir, added);
    git(dir, 'add', '-A');
    expect(ours).toBe(git(dir, 'write-tree'));
    expect(git(dir, 'fsck', '--strict', '--no-dangling')).toBe('');
  });

  it('starts from nothing when there is no base commit', async () => {
    const dir = gitdir();
    const ours = await treeWith(dir, null, [{ path: 'state/registry/meta.json', blob: blob(dir, '{}') }]);
    writeFiles(dir, { 'state/registry/meta.json': '{}' });
    git(dir, 'add', '-A');
    expect(ours).toBe(git(dir, 'write-tree'));
  });
});

describe('treeWith deletions', () => {
  it('removes files, and directories left empty', async () => {
    const dir = gitdir({ 'keep.txt': 'k', 'state/a/one.json': '1', 'state/a/two.json': '2', 'state/b/only.json': '3' });
    const base = git(dir, 'rev-parse', 'HEAD');
    const ours = await treeWith(dir, base, [{ path: 'state/a/one.json', blob: null }, { path: 'state/b/only.json', blob: null }]);
    git(dir, 'rm', '-q', 'state/a/one.json', 'state/b/only.json');
    expect(ours).toBe(git(dir, 'write-tree'));
  });
});
