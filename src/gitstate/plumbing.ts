import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { git, GitError, repoPaths, type RepoPaths } from './git.js';
import { authorEnv, type Author, type StagedFile } from './author.js';
import { treeWith } from './trees.js';
import { UserError } from '../core/errors.js';

const ZERO = '0'.repeat(40);

export interface PlumbingCommit {
  root: string;
  /** The ref to advance: `refs/heads/<branch>`. */
  ref: string;
  files: readonly StagedFile[];
  /** The message, or one made from the paths (as in `files`) whose content this commit changes. */
  message: string | ((changed: ReadonlySet<string>) => string);
  author: Author;
  /** Run the repository's pre-commit and commit-msg hooks (on the checked-out branch). */
  hooks: boolean;
  /** The repository's paths when the caller has them already (one `git rev-parse` fewer a commit). */
  paths?: RepoPaths;
}

export interface PlumbingResult {
  sha: string | null;
  /** `<mode> <blob>\t<path>` lines of what was committed, for updating another index. */
  entries: string[];
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs pre-commit and commit-msg the way `git commit --only` does: against an index of
 * exactly what is being committed. Building that index costs what the repository's size
 * costs, so it is only built when there is a hook to run. Returns the (maybe edited) message.
 */
async function runHooks(root: string, hooksDir: string, gitDir: string, tree: string, message: string, author: Author): Promise<string> {
  const wanted = ['pre-commit', 'commit-msg'].filter((h) => executable(path.join(hooksDir, h)));
  if (!wanted.length) return message;
  const tmp = mkdtempSync(path.join(tmpdir(), 'agent-hub-hook-'));
  try {
    const env = { GIT_INDEX_FILE: path.join(tmp, 'index'), ...authorEnv(author) };
    await git(root, ['read-tree', tree], { env });
    if (wanted.includes('pre-commit')) await hook(root, 'pre-commit', [], env, author);
    if (!wanted.includes('commit-msg')) return message;
    const msgFile = path.join(gitDir, 'AGENT_HUB_COMMIT_MSG');
    writeFileSync(msgFile, message);
    await hook(root, 'commit-msg', [msgFile], env, author);
    return readFileSync(msgFile, 'utf8');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Runs one hook; a refusal says which hook, what it printed, and how to let the hub's commits through. */
async function hook(root: string, name: string, args: string[], env: Record<string, string>, author: Author): Promise<void> {
  try {
    await git(root, ['hook', 'run', name, ...(args.length ? ['--', ...args] : [])], { env });
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    throw new UserError(`the ${name} hook rejected the state commit: ${err.stderr.trim() || `exit ${err.exitCode}`}. ` +
      `The run records stay queued for the next commit; let the hook accept the hub's commits (author ${author.email}, subject "state: …"), ` +
      'or set state.branch in hub.yaml (hooks do not run for a state branch)');
  }
}

/**
 * `git commit-tree`, signed when the repository asks for signed commits: commit-tree itself
 * ignores commit.gpgSign, so without this a protected branch would get unsigned commits.
 * `-S` signs as `git commit` would (user.signingKey, gpg.format, gpg.program); a signer that
 * fails is named in the error, with the setting that asked for it.
 */
export async function commitTree(root: string, tree: string, parents: readonly string[], message: string, env: Record<string, string>): Promise<string> {
  const sign = (await git(root, ['config', '--type=bool', '--get', 'commit.gpgsign'], { ok: [1] })).stdout.trim() === 'true';
  try {
    return (await git(root, ['commit-tree', ...(sign ? ['-S'] : []), tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'], { input: message, env })).stdout.trim();
  } catch (err) {
    if (!sign || !(err instanceof GitError)) throw err;
    throw new UserError(`commit.gpgsign is true but the state commit could not be signed: ${err.stderr.trim().split('\n').slice(-3).join(' ')}. ` +
      'Make the signing key usable without a prompt for the hub\'s user (user.signingKey, gpg.format, gpg.program), or set commit.gpgsign=false for this repository; the run records stay queued');
  }
}

/** A commit built but not yet on its ref. */
export interface BuiltCommit {
  /** The new commit, or null when the files are already in the ref's tree. */
  sha: string | null;
  /** The ref's commit it was built on (null: the ref does not exist yet). */
  tip: string | null;
  /** `<mode> <blob>\t<path>` lines of what was committed, for updating an index. */
  entries: string[];
  message: string;
}

/**
 * Builds a commit of files on top of a ref without the work tree or any index: blobs, the
 * new trees of the directories on the changed paths, hooks, commit-tree. Moves nothing:
 * the cost follows the batch, not the size of the history.
 */
export async function buildCommit(o: PlumbingCommit): Promise<BuiltCommit> {
  const { prefix, gitDir, hooksDir } = o.paths ?? await repoPaths(o.root);
  const tips = await git(o.root, ['rev-parse', `${o.ref}^{commit}`, `${o.ref}^{tree}`], { ok: [128] });
  const [tip, tipTree] = tips.exitCode === 0 ? tips.stdout.trim().split('\n') : [null, null];
  const blobs = (await git(o.root, ['hash-object', '-w', '--stdin-paths'], { input: `${o.files.map((f) => f.source).join('\n')}\n` })).stdout.trim().split('\n');
  const files = o.files.map((f, i) => ({ path: `${prefix}${f.path}`, blob: blobs[i] as string }));
  const entries = files.map((f) => `100644 ${f.blob}\t${f.path}`);
  const tree = await treeWith(o.root, tip ?? null, files);
  const changed = tip && tree !== tipTree ? await changedPaths(o.root, tip, files, o.files) : new Set(o.files.map((f) => f.path));
  const text = typeof o.message === 'string' ? o.message : o.message(changed);
  if (tree === tipTree) return { sha: null, tip: tip ?? null, entries, message: text };
  const message = o.hooks ? await runHooks(o.root, hooksDir, gitDir, tree, text, o.author) : text;
  const sha = await commitTree(o.root, tree, tip ? [tip] : [], message, authorEnv(o.author));
  return { sha, tip: tip ?? null, entries, message };
}

/**
 * Which files differ from what `tip` has: a commit retried after its bookkeeping failed
 * finds its run records already committed and must not list them again.
 */
async function changedPaths(root: string, tip: string, files: ReadonlyArray<{ path: string; blob: string }>, staged: readonly StagedFile[]): Promise<Set<string>> {
  const out = (await git(root, ['cat-file', '--batch-check=%(objectname)'], { input: `${files.map((f) => `${tip}:${f.path}`).join('\n')}\n` })).stdout.split('\n');
  return new Set(staged.filter((_, i) => out[i] !== files[i]?.blob).map((f) => f.path));
}

/** Moves `ref` from `tip` to `sha`, only if it is still at `tip` (a person's commit in between wins). */
export async function moveRef(root: string, ref: string, sha: string, tip: string | null, message: string): Promise<void> {
  try {
    await git(root, ['update-ref', '-m', `agent-hub: ${message.split('\n')[0]}`, ref, sha, tip ?? ZERO]);
  } catch (err) {
    throw err instanceof GitError ? new GitError(err.args, err.exitCode, `${ref} moved while committing; retrying at the next interval. ${err.stderr}`) : err;
  }
}

/** buildCommit, then moveRef: for a ref no index or work tree follows (the state branch). */
export async function commitFiles(o: PlumbingCommit): Promise<PlumbingResult> {
  const built = await buildCommit(o);
  if (built.sha) await moveRef(o.root, o.ref, built.sha, built.tip, built.message);
  return { sha: built.sha, entries: built.entries };
}
