import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const git = (repo: string, args: string[]) => run('git', ['-C', repo, ...args], { maxBuffer: 16 * 1024 * 1024 });

/**
 * A detached worktree of the worker's clone at the run's commit, fetched from its remotes
 * when the clone does not have it yet. The caller removes it with the returned function.
 */
export async function worktreeAt(repo: string, commit: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const has = () => git(repo, ['cat-file', '-e', `${commit}^{commit}`]).then(() => true, () => false);
  if (!(await has())) {
    await git(repo, ['fetch', '--quiet', '--all']).catch(() => undefined);
    if (!(await has())) await git(repo, ['fetch', '--quiet', 'origin', commit]).catch(() => undefined);
    if (!(await has())) throw new Error(`commit ${commit} is not in ${repo}, even after a fetch; the worker's clone must fetch from the repository the hub runs`);
  }
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'agent-hub-worktree-')), 'repo');
  await git(repo, ['worktree', 'add', '--detach', '--quiet', dir, commit]);
  return {
    dir,
    remove: async () => {
      await git(repo, ['worktree', 'remove', '--force', dir]).catch(() => undefined);
      rmSync(path.dirname(dir), { recursive: true, force: true });
      await git(repo, ['worktree', 'prune']).catch(() => undefined);
    },
  };
}
