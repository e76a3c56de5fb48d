import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { catFiles, git, repoPaths } from './git.js';
import { checkIndexLock } from './lock.js';
import { commitFiles } from './plumbing.js';

export interface Author {
  name: string;
  email: string;
}

/** Above this size (~20,000 entries) the user's index is kept in git's split-index mode. */
const SPLIT_INDEX_BYTES = 2 * 1024 * 1024;

export const DEFAULT_AUTHOR: Author = { name: 'agent-hub', email: 'agent-hub@localhost' };

/** A file to commit: its path in the repository (relative to the hub root) and where its bytes are now. */
export interface StagedFile {
  path: string;
  source: string;
}

export interface CommitResult {
  sha: string | null;
  /** Set when the commit was put off (a git command holds the index lock). */
  deferred?: string;
}

/** Where state is committed: the checked-out branch, or a branch of its own. */
export interface StateTarget {
  /** The directory state files are written under before they are committed. */
  readonly dir: string;
  commit(files: readonly StagedFile[], message: string, author: Author): Promise<CommitResult>;
  /** Repository-relative paths and contents of the committed state, for restore. */
  readState(): Promise<Map<string, string>>;
  /** Whether committed files can be removed from `dir` after the commit. */
  readonly dropsCommitted: boolean;
}

/** Every file under `dir/state`, repository-relative. */
function walkState(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    const abs = path.join(dir, rel);
    if (!existsSync(abs)) return;
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else out.set(child, readFileSync(path.join(dir, child), 'utf8'));
    }
  };
  walk('state');
  return out;
}

/**
 * The default: commit on the checked-out branch. The commit is built with plumbing from
 * HEAD plus exactly our files (hooks run, as for `git commit --only`), then only our
 * entries are written into the user's index: their other staged and unstaged changes
 * stay as they were.
 */
export class WorktreeTarget implements StateTarget {
  readonly dropsCommitted = false;
  constructor(readonly dir: string) {}

  async commit(files: readonly StagedFile[], message: string, author: Author): Promise<CommitResult> {
    const { gitDir } = await repoPaths(this.dir);
    if (checkIndexLock(gitDir) === 'held') return { sha: null, deferred: 'another git command holds .git/index.lock' };
    const head = await git(this.dir, ['symbolic-ref', '--quiet', 'HEAD'], { ok: [1] });
    if (head.exitCode !== 0) return { sha: null, deferred: 'HEAD is detached: check out a branch for the hub to commit on' };
    const result = await commitFiles({ root: this.dir, ref: head.stdout.trim(), files, message, author, hooks: true });
    if (result.sha) {
      // The user's index learns our new entries (and nothing else changes in it).
      // A large index (tens of thousands of run records) is written in git's split mode, so
      // adding a batch rewrites a small file, not the whole index; small ones stay as they are.
      const large = (statSync(path.join(gitDir, 'index'), { throwIfNoEntry: false })?.size ?? 0) > SPLIT_INDEX_BYTES;
      await git(this.dir, [...(large ? ['-c', 'core.splitIndex=true'] : []), 'update-index', '--add', '--index-info'], { input: `${result.entries.join('\n')}\n` });
    }
    return { sha: result.sha };
  }

  async readState(): Promise<Map<string, string>> {
    return walkState(this.dir);
  }
}

/**
 * `state.branch`: commit state to a branch of its own with plumbing — never touching the
 * work tree, the user's index or HEAD. Files wait in `.agent-hub/branch-state/` until committed.
 */
export class BranchTarget implements StateTarget {
  readonly dropsCommitted = true;
  readonly dir: string;

  constructor(private readonly root: string, readonly branch: string) {
    this.dir = path.join(root, '.agent-hub', 'branch-state');
    mkdirSync(this.dir, { recursive: true });
  }

  get ref(): string {
    return `refs/heads/${this.branch}`;
  }

  async commit(files: readonly StagedFile[], message: string, author: Author): Promise<CommitResult> {
    const result = await commitFiles({ root: this.root, ref: this.ref, files, message, author, hooks: false });
    return { sha: result.sha };
  }

  async readState(): Promise<Map<string, string>> {
    const r = await git(this.root, ['rev-parse', '--verify', '--quiet', `${this.ref}^{commit}`], { ok: [1] });
    const out = new Map<string, string>();
    if (r.exitCode !== 0) return out;
    const tip = r.stdout.trim();
    const { prefix } = await repoPaths(this.root);
    const listed = (await git(this.root, ['ls-tree', '-r', '-z', tip, '--', `${prefix}state`])).stdout.split('\0').filter(Boolean);
    const entries = listed.map((l) => {
      const [meta, file] = l.split('\t') as [string, string];
      return { sha: meta.split(' ')[2] as string, path: file.slice(prefix.length) };
    });
    if (!entries.length) return out;
    const blobs = await catFiles(this.root, entries.map((e) => e.sha));
    entries.forEach((e, i) => out.set(e.path, blobs[i]?.body.toString('utf8') ?? ''));
    return out;
  }
}
