import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { git } from '../gitstate/git.js';
import { authorEnv, type Author } from '../gitstate/author.js';
import type { SendResult } from './http.js';

export interface BranchDelivery {
  /** The agent's working directory: a git work tree that is not the hub's repository. */
  cwd: string;
  branch: string;
  /** Where to push; absent or '' keeps the branch local. */
  remote?: string;
  message: string;
}

/**
 * Commits what the agent changed in its work tree (tracked and new files, .gitignore
 * respected) to a new branch on top of its HEAD, and pushes that branch, with the hub's
 * identity and credentials. A private index: the work tree, its index and its checked-out
 * branch stay as the agent left them. Safe to repeat: a branch already holding the same
 * tree is taken as done, and pushing the same commit again changes nothing.
 */
export async function deliverBranch(o: BranchDelivery, hubRoot: string, author: Author, timeoutMs: number): Promise<SendResult> {
  let top: string;
  try {
    top = (await git(o.cwd, ['rev-parse', '--show-toplevel'])).stdout.trim();
  } catch {
    return { ok: false, retryable: false, detail: `${o.cwd} is not a git work tree` };
  }
  if (path.resolve(top) === path.resolve(hubRoot)) return { ok: false, retryable: false, detail: 'the agent\'s work tree is the hub\'s own repository: a branch delivery needs agent.cwd in another work tree (a clone or git worktree)' };
  const check = await git(top, ['check-ref-format', '--branch', o.branch], { ok: [1, 128] });
  if (check.exitCode !== 0) return { ok: false, retryable: false, detail: `"${o.branch}" is not a valid branch name` };
  const dir = mkdtempSync(path.join(tmpdir(), 'agent-hub-branch-'));
  const env = { GIT_INDEX_FILE: path.join(dir, 'index'), ...authorEnv(author) };
  try {
    const head = (await git(top, ['rev-parse', '--verify', 'HEAD'])).stdout.trim();
    await git(top, ['read-tree', head], { env });
    await git(top, ['add', '-A', '--', '.'], { env });
    const tree = (await git(top, ['write-tree'], { env })).stdout.trim();
    const ref = `refs/heads/${o.branch}`;
    const existing = await git(top, ['rev-parse', '--verify', '--quiet', `${ref}^{tree}`], { ok: [1] });
    let note: string;
    if (existing.exitCode === 0) {
      if (existing.stdout.trim() !== tree) return { ok: false, retryable: false, detail: `branch ${o.branch} exists already with other content; pick a branch name with {{run.id}} in it` };
      note = `branch ${o.branch} already made`;
    } else {
      if (tree === (await git(top, ['rev-parse', `${head}^{tree}`])).stdout.trim()) return { ok: true, detail: 'no changes in the work tree: no branch' };
      const commit = (await git(top, ['commit-tree', tree, '-p', head], { env, input: `${o.message}\n` })).stdout.trim();
      await git(top, ['update-ref', ref, commit, ''], { env });
      note = `branch ${o.branch} at ${commit.slice(0, 12)}`;
    }
    if (!o.remote) return { ok: true, detail: `${note} (not pushed: no remote)` };
    await git(top, ['push', '--porcelain', o.remote, `${ref}:${ref}`], { timeoutMs });
    return { ok: true, detail: `${note}, pushed to ${o.remote}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
