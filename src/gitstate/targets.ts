import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { git, gitBytes, repoPaths } from './git.js';
import { checkIndexLock } from './lock.js';
import { RUNS_DIR } from './records.js';

export interface Author {
  name: string;
  email: string;
}

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

function authorEnv(a: Author): Record<string, string> {
  return { GIT_AUTHOR_NAME: a.name, GIT_AUTHOR_EMAIL: a.email, GIT_COMMITTER_NAME: a.name, GIT_COMMITTER_EMAIL: a.email };
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
 * The default: commit on the checked-out branch with a pathspec commit (`git commit
 * --only -- <paths>`), which takes exactly our files and leaves a user's other staged
 * and unstaged changes as they were.
 */
export class WorktreeTarget implements StateTarget {
  readonly dropsCommitted = false;
  constructor(readonly dir: string) {}

  async commit(files: readonly StagedFile[], message: string, author: Author): Promise<CommitResult> {
    const { gitDir } = await repoPaths(this.dir);
    const lock = checkIndexLock(gitDir);
    if (lock === 'held') return { sha: null, deferred: 'another git command holds .git/index.lock' };
    const paths = files.map((f) => f.path);
    const changed = (await git(this.dir, ['status', '--porcelain', '-z', '--untracked-files=all', '--', ...paths.map(literal)])).stdout;
    if (!changed) return { sha: null };
    await git(this.dir, ['add', '--', ...paths.map(literal)]);
    await git(this.dir, ['commit', '--only', '--quiet', '--no-edit', '-F', '-', '--', ...paths.map(literal)], { input: message, env: authorEnv(author) });
    return { sha: (await git(this.dir, ['rev-parse', 'HEAD'])).stdout.trim() };
  }

  async readState(): Promise<Map<string, string>> {
    return walkState(this.dir);
  }
}

const literal = (p: string) => `:(literal)${p}`;

/**
 * `state.branch`: commit state to a branch of its own with plumbing — blobs, a private
 * index file, commit-tree, a compare-and-swap update-ref — never touching the work tree,
 * the user's index or HEAD. Files wait in `.agent-hub/branch-state/` until committed.
 */
export class BranchTarget implements StateTarget {
  readonly dropsCommitted = true;
  readonly dir: string;
  private readonly indexFile: string;
  private readonly tipFile: string;

  constructor(private readonly root: string, readonly branch: string) {
    this.dir = path.join(root, '.agent-hub', 'branch-state');
    this.indexFile = path.join(root, '.agent-hub', 'state-branch.index');
    this.tipFile = path.join(root, '.agent-hub', 'state-branch.tip');
    mkdirSync(this.dir, { recursive: true });
  }

  get ref(): string {
    return `refs/heads/${this.branch}`;
  }

  private async tip(): Promise<string | null> {
    const r = await git(this.root, ['rev-parse', '--verify', '--quiet', `${this.ref}^{commit}`], { ok: [1] });
    return r.exitCode === 0 ? r.stdout.trim() : null;
  }

  async commit(files: readonly StagedFile[], message: string, author: Author): Promise<CommitResult> {
    const { prefix } = await repoPaths(this.root);
    const env = { GIT_INDEX_FILE: this.indexFile };
    const tip = await this.tip();
    // The private index mirrors the branch tip; rebuild it when the branch moved (a fetch, a rebase).
    const known = existsSync(this.tipFile) ? readFileSync(this.tipFile, 'utf8').trim() : '';
    if (!existsSync(this.indexFile) || known !== (tip ?? '')) {
      await git(this.root, tip ? ['read-tree', tip] : ['read-tree', '--empty'], { env });
    }
    const blobs = (await git(this.root, ['hash-object', '-w', '--stdin-paths'], { input: `${files.map((f) => f.source).join('\n')}\n` })).stdout.trim().split('\n');
    const info = files.map((f, i) => `100644 ${blobs[i]}\t${prefix}${f.path}`).join('\n');
    await git(this.root, ['update-index', '--add', '--index-info'], { env, input: `${info}\n` });
    const tree = (await git(this.root, ['write-tree'], { env })).stdout.trim();
    if (tip && (await git(this.root, ['rev-parse', `${tip}^{tree}`])).stdout.trim() === tree) return { sha: null };
    const sha = (await git(this.root, ['commit-tree', tree, ...(tip ? ['-p', tip] : []), '-F', '-'], { input: message, env: authorEnv(author) })).stdout.trim();
    // Compare-and-swap: fails if someone moved the branch since we read it.
    await git(this.root, ['update-ref', '-m', 'agent-hub: state', this.ref, sha, tip ?? '0'.repeat(40)]);
    writeFileSync(this.tipFile, `${sha}\n`);
    return { sha };
  }

  async readState(): Promise<Map<string, string>> {
    const tip = await this.tip();
    const out = new Map<string, string>();
    if (!tip) return out;
    const { prefix } = await repoPaths(this.root);
    const listed = (await git(this.root, ['ls-tree', '-r', '-z', tip, '--', `${prefix}state`])).stdout.split('\0').filter(Boolean);
    const entries = listed.map((l) => {
      const [meta, file] = l.split('\t') as [string, string];
      return { sha: meta.split(' ')[2] as string, path: file.slice(prefix.length) };
    });
    if (!entries.length) return out;
    // One cat-file process for every blob: "<sha> blob <size>\n<bytes>\n" each.
    const batch = await gitBytes(this.root, ['cat-file', '--batch'], `${entries.map((e) => e.sha).join('\n')}\n`);
    let pos = 0;
    for (const e of entries) {
      const headerEnd = batch.indexOf(10, pos);
      const size = Number(batch.subarray(pos, headerEnd).toString('latin1').split(' ')[2]);
      out.set(e.path, batch.subarray(headerEnd + 1, headerEnd + 1 + size).toString('utf8'));
      pos = headerEnd + 1 + size + 1;
    }
    return out;
  }
}

/** The runs directory a target writes into. */
export function runsDir(target: StateTarget): string {
  return path.join(target.dir, RUNS_DIR);
}
