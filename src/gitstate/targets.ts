import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { catFiles, git, repoPaths } from './git.js';
import { gitBusy } from './lock.js';
import { buildCommit, commitFiles, commitTree } from './plumbing.js';
import { authorEnv, type Author, type StagedFile } from './author.js';
import { landInIndex, writeWorkTree } from './land.js';
import { symlinkOnPath } from '../spec/paths.js';
import { STATE_DIR } from './records.js';
import { treeWith } from './trees.js';

export interface CommitResult {
  sha: string | null;
  /** Set when the commit was put off (a git command holds a lock, a rebase is in progress…): why. */
  deferred?: string;
  /** The checked-out branch is not the one state is committed on: commits pause until it is. */
  paused?: boolean;
}

/** Where state is committed: the checked-out branch, or a branch of its own. */
export interface StateTarget {
  /** The directory state files are written under before they are committed. */
  readonly dir: string;
  /** Commits the files; `message` is made from the paths whose content the commit changes. */
  commit(files: readonly StagedFile[], message: (changed: ReadonlySet<string>) => string, author: Author): Promise<CommitResult>;
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
 * The default: commit on the checked-out branch (the one checked out when the hub started).
 * Run records wait in `.agent-hub/pending/` and reach `state/` only inside a commit, so
 * between commits `git status` shows nothing of the hub's and a person's rebase or stash
 * is never in its way. The commit is built with plumbing from HEAD plus exactly our files
 * (hooks run, as for `git commit --only`); only our entries are written into the user's
 * index, whose other staged and unstaged changes stay as they were.
 */
export class WorktreeTarget implements StateTarget {
  readonly dropsCommitted = true;
  readonly dir: string;
  /** `refs/heads/<branch>` the hub commits on; unset: whatever is checked out. */
  private tracked: string | undefined;

  constructor(private readonly root: string) {
    this.dir = path.join(root, '.agent-hub', 'pending');
  }

  /**
   * Fixes the branch to commit on: `wanted` (state.onBranch, or the one recorded at an
   * earlier start) when it exists, else the one checked out now. While another is checked
   * out, commits wait. Returns the short name, or null on a detached HEAD with nothing wanted.
   */
  async track(wanted?: string): Promise<string | null> {
    if (wanted) {
      const exists = await git(this.root, ['show-ref', '--verify', '--quiet', `refs/heads/${wanted}`], { ok: [1] });
      if (exists.exitCode === 0) {
        this.tracked = `refs/heads/${wanted}`;
        return wanted;
      }
    }
    const head = await git(this.root, ['symbolic-ref', '--quiet', 'HEAD'], { ok: [1] });
    this.tracked = head.exitCode === 0 ? head.stdout.trim() : undefined;
    return this.branch ?? null;
  }

  /** The branch state is committed on, once known (short name). */
  get branch(): string | undefined {
    return this.tracked?.replace(/^refs\/heads\//, '');
  }

  async commit(files: readonly StagedFile[], message: (changed: ReadonlySet<string>) => string, author: Author): Promise<CommitResult> {
    const paths = await repoPaths(this.root);
    const head = await git(this.root, ['symbolic-ref', '--quiet', 'HEAD'], { ok: [1] });
    if (head.exitCode !== 0) return { sha: null, deferred: 'HEAD is detached: check out a branch for the hub to commit on', paused: true };
    const ref = head.stdout.trim();
    if (this.tracked && ref !== this.tracked) {
      const short = (r: string) => r.replace(/^refs\/heads\//, '');
      const [now, ours] = [short(ref), short(this.tracked)];
      return { sha: null, paused: true, deferred: `${now} is checked out, not ${ours}: state is committed only on ${ours} and waits until it is checked out again (or set state.onBranch: ${now} in hub.yaml to commit on ${now} from now on)` };
    }
    const busy = gitBusy(paths, [ref]);
    if (busy) return { sha: null, deferred: busy };
    // The work tree must take the commit whole: a symlink planted on a state path would make the
    // landing write through it, or leave the work tree behind HEAD. Put off until it is gone.
    const link = files.map((f) => symlinkOnPath(this.root, f.path)).find((l) => l !== undefined);
    if (link) return { sha: null, deferred: `"${link.at}" is a symlink in the work tree (to ${link.target}); the hub writes no state through one: remove it (git checkout -- ${link.at}) and state commits go on` };
    const built = await buildCommit({ root: this.root, ref, files, message, author, hooks: true, paths });
    const landed = await landInIndex(this.root, paths, ref, built);
    if (landed) return { sha: null, deferred: landed };
    writeWorkTree(paths.top, built.entries, files);
    return { sha: built.sha };
  }

  async *stateFiles(sub: string): AsyncIterable<StateFile> {
    yield* walkFiles(this.root, sub); // committed (the work tree matches HEAD between commits)
    yield* walkFiles(this.dir, sub); // written, not committed yet: newer
  }

  async stateRef(): Promise<string | null> {
    return 'HEAD';
  }

  async existing(paths: readonly string[]): Promise<Set<string>> {
    return new Set(paths.filter((p) => existsSync(path.join(this.dir, p)) || existsSync(path.join(this.root, p))));
  }

  async uncommitted(): Promise<string[]> {
    const waiting = [...walkFiles(this.dir, STATE_DIR)].map((f) => f.path);
    // Run files an older hub left in the work tree, untracked or changed under state/.
    const left = (await git(this.root, ['ls-files', '-z', '--others', '--modified', '--', STATE_DIR])).stdout.split('\0').filter(Boolean);
    return [...new Set([...waiting, ...left])].filter((p) => existsSync(path.join(this.dir, p)) || existsSync(path.join(this.root, p)));
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
    const sha = await commitTree(this.root, tree, [], message, authorEnv(author));
    await git(this.root, ['update-ref', '-m', `agent-hub: ${message.trim()}`, this.ref, sha, '']);
  }

  async commit(files: readonly StagedFile[], message: (changed: ReadonlySet<string>) => string, author: Author): Promise<CommitResult> {
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
