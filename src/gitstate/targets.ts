import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { catFiles, git, repoPaths } from './git.js';
import { checkIndexLock } from './lock.js';
import { authorEnv, commitFiles } from './plumbing.js';
import { treeWith } from './trees.js';

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
  /**
   * The committed state files under `sub` (a repository-relative directory such as
   * `state/runs`), one at a time, for restore: memory stays flat however long the history.
   */
  stateFiles(sub: string): AsyncIterable<StateFile>;
  /** The ref whose tree holds the committed state (`HEAD`, or the state branch or its remote copy); null before any. */
  stateRef(): Promise<string | null>;
  /** Which of these state files exist, on disk or in the committed state (repository-relative paths). */
  existing(paths: readonly string[]): Promise<Set<string>>;
  /** State files on disk that are not committed (after a crash): repository-relative paths. */
  uncommitted(): Promise<string[]>;
  /** Whether committed files can be removed from `dir` after the commit. */
  readonly dropsCommitted: boolean;
}

/** A committed state file: its repository-relative path and its text. */
export interface StateFile {
  path: string;
  text: string;
}

/** Every file under `dir/sub`, repository-relative, read as it is reached. */
function* walkFiles(dir: string, sub: string): Generator<StateFile> {
  const abs = path.join(dir, sub);
  if (!existsSync(abs)) return;
  for (const e of readdirSync(abs, { withFileTypes: true })) {
    const child = `${sub}/${e.name}`;
    if (e.isDirectory()) yield* walkFiles(dir, child);
    else if (e.isFile()) yield { path: child, text: readFileSync(path.join(dir, child), 'utf8') };
  }
}

/** Blobs are read from git this many at a time. */
const READ_CHUNK = 1000;

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

  async *stateFiles(sub: string): AsyncIterable<StateFile> {
    yield* walkFiles(this.dir, sub);
  }

  async stateRef(): Promise<string | null> {
    return 'HEAD';
  }

  async existing(paths: readonly string[]): Promise<Set<string>> {
    return new Set(paths.filter((p) => existsSync(path.join(this.dir, p)))); // committed files stay in the work tree
  }

  async uncommitted(): Promise<string[]> {
    // Paths relative to the hub root: untracked or changed under state/, files that still exist.
    const out = (await git(this.dir, ['ls-files', '-z', '--others', '--modified', '--', 'state'])).stdout.split('\0').filter(Boolean);
    return [...new Set(out)].filter((p) => existsSync(path.join(this.dir, p)));
  }
}

/**
 * `state.branch`: commit state to a branch of its own with plumbing — never touching the
 * work tree, the user's index or HEAD. Files wait in `.agent-hub/branch-state/` until committed.
 */
export class BranchTarget implements StateTarget {
  readonly dropsCommitted = true;
  readonly dir: string;
  private adopted = false;

  constructor(private readonly root: string, readonly branch: string) {
    this.dir = path.join(root, '.agent-hub', 'branch-state');
  }

  get ref(): string {
    return `refs/heads/${this.branch}`;
  }

  /**
   * The state branch's tip: the local branch, or in a fresh clone, where the branch exists
   * only as `refs/remotes/<remote>/<branch>`, that copy (origin preferred). Null before the first commit.
   */
  private async tip(): Promise<{ sha: string; ref: string } | null> {
    // One process lists the local branch and every remote's copy of it.
    const listed = (await git(this.root, ['for-each-ref', '--format=%(objectname) %(refname)', this.ref, `refs/remotes/*/${this.branch}`])).stdout.split('\n').filter(Boolean);
    const refs = new Map(listed.map((l) => [l.slice(l.indexOf(' ') + 1), l.slice(0, l.indexOf(' '))]));
    // (The local pattern also matches refs below it, like refs/heads/<branch>/x: only exact names count.)
    const ref = [this.ref, `refs/remotes/origin/${this.branch}`].find((r) => refs.has(r)) ?? [...refs.keys()].find((r) => r.startsWith('refs/remotes/'));
    return ref ? { sha: refs.get(ref) as string, ref } : null;
  }

  async stateRef(): Promise<string | null> {
    return (await this.tip())?.ref ?? null;
  }

  /**
   * Before the first commit: in a fresh clone the local branch starts at the remote one, so
   * new commits continue it. With no state branch anywhere yet, it starts with the state
   * committed so far on the checked-out branch (a hub switching to `state.branch` keeps its
   * history), in a commit of its own that says where it came from.
   */
  private async ensureBranch(author: Author): Promise<void> {
    if (this.adopted) return;
    const tip = await this.tip();
    if (tip && tip.ref !== this.ref) await git(this.root, ['update-ref', '-m', `agent-hub: state branch from ${tip.ref}`, this.ref, tip.sha, '']);
    if (!tip) await this.carryOverState(author);
    this.adopted = true;
  }

  /** Starts the state branch with HEAD's `state/`, when there is one (otherwise the first commit starts it). */
  private async carryOverState(author: Author): Promise<void> {
    const { prefix } = await repoPaths(this.root);
    const state = await git(this.root, ['rev-parse', '--verify', '--quiet', `HEAD:${prefix}state`], { ok: [1, 128] });
    if (state.exitCode !== 0) return;
    const from = (await git(this.root, ['rev-parse', '--abbrev-ref', 'HEAD'])).stdout.trim();
    const head = (await git(this.root, ['rev-parse', '--short', 'HEAD'])).stdout.trim();
    const tree = await treeWith(this.root, null, [{ path: `${prefix}state`, blob: state.stdout.trim(), mode: '40000' }]);
    const message = `state: carried over from ${from} at ${head}\n`;
    const sha = (await git(this.root, ['commit-tree', tree, '-F', '-'], { input: message, env: authorEnv(author) })).stdout.trim();
    await git(this.root, ['update-ref', '-m', `agent-hub: ${message.trim()}`, this.ref, sha, '']);
  }

  async commit(files: readonly StagedFile[], message: string, author: Author): Promise<CommitResult> {
    await this.ensureBranch(author);
    const result = await commitFiles({ root: this.root, ref: this.ref, files, message, author, hooks: false });
    return { sha: result.sha };
  }

  async existing(paths: readonly string[]): Promise<Set<string>> {
    const found = new Set(paths.filter((p) => existsSync(path.join(this.dir, p))));
    const rest = paths.filter((p) => !found.has(p));
    if (!rest.length) return found;
    const tip = await this.tip().catch(() => null); // not a git repository (yet): nothing committed
    // No state branch yet: its first commit will carry over HEAD's state, so that counts.
    const base = tip?.sha ?? 'HEAD';
    const { prefix } = await repoPaths(this.root).catch(() => ({ prefix: '' }));
    const objects = await catFiles(this.root, rest.map((p) => `${base}:${prefix}${p}`)).catch(() => []);
    rest.forEach((p, i) => objects[i] && found.add(p));
    return found;
  }

  /** Files wait in .agent-hub/branch-state/ and are queued when written; nothing on disk is outside the queue. */
  async uncommitted(): Promise<string[]> {
    return [];
  }

  /** Reads the state where it is (the remote copy in a fresh clone) and changes no ref. */
  async *stateFiles(sub: string): AsyncIterable<StateFile> {
    const found = await this.tip();
    if (!found) return;
    const tip = found.sha;
    const { prefix } = await repoPaths(this.root);
    const listed = (await git(this.root, ['ls-tree', '-r', '-z', tip, '--', `${prefix}${sub}`])).stdout.split('\0').filter(Boolean);
    const entries = listed.map((l) => {
      const [meta, file] = l.split('\t') as [string, string];
      return { sha: meta.split(' ')[2] as string, path: file.slice(prefix.length) };
    });
    for (let i = 0; i < entries.length; i += READ_CHUNK) {
      const chunk = entries.slice(i, i + READ_CHUNK);
      const blobs = await catFiles(this.root, chunk.map((e) => e.sha));
      for (const [j, e] of chunk.entries()) yield { path: e.path, text: blobs[j]?.body.toString('utf8') ?? '' };
    }
  }
}
