import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { git, GitError, repoPaths } from './git.js';
import type { Author, StagedFile } from './targets.js';
import { treeWith } from './trees.js';

const ZERO = '0'.repeat(40);

export function authorEnv(a: Author): Record<string, string> {
  return { GIT_AUTHOR_NAME: a.name, GIT_AUTHOR_EMAIL: a.email, GIT_COMMITTER_NAME: a.name, GIT_COMMITTER_EMAIL: a.email };
}

export interface PlumbingCommit {
  root: string;
  /** The ref to advance: `refs/heads/<branch>`. */
  ref: string;
  files: readonly StagedFile[];
  message: string;
  author: Author;
  /** Run the repository's pre-commit and commit-msg hooks (on the checked-out branch). */
  hooks: boolean;
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
    throw new Error(`the ${name} hook rejected the state commit: ${err.stderr.trim() || `exit ${err.exitCode}`}. ` +
      `The run records stay queued for the next commit; let the hook accept the hub's commits (author ${author.email}, subject "state: …"), ` +
      'or set state.branch in hub.yaml (hooks do not run for a state branch)');
  }
}

/**
 * Commits files on top of a ref without the work tree or any index: blobs, the new trees
 * of the directories on the changed paths, commit-tree, and a compare-and-swap
 * update-ref. The cost follows the batch, not the size of the history.
 */
export async function commitFiles(o: PlumbingCommit): Promise<PlumbingResult> {
  const { prefix, gitDir, hooksDir } = await repoPaths(o.root);
  const tips = await git(o.root, ['rev-parse', `${o.ref}^{commit}`, `${o.ref}^{tree}`], { ok: [128] });
  const [tip, tipTree] = tips.exitCode === 0 ? tips.stdout.trim().split('\n') : [null, null];
  const blobs = (await git(o.root, ['hash-object', '-w', '--stdin-paths'], { input: `${o.files.map((f) => f.source).join('\n')}\n` })).stdout.trim().split('\n');
  const files = o.files.map((f, i) => ({ path: `${prefix}${f.path}`, blob: blobs[i] as string }));
  const entries = files.map((f) => `100644 ${f.blob}\t${f.path}`);
  const tree = await treeWith(o.root, tip ?? null, files);
  if (tree === tipTree) return { sha: null, entries };
  const message = o.hooks ? await runHooks(o.root, hooksDir, gitDir, tree, o.message, o.author) : o.message;
  const sha = (await git(o.root, ['commit-tree', tree, ...(tip ? ['-p', tip] : []), '-F', '-'], { input: message, env: authorEnv(o.author) })).stdout.trim();
  try {
    await git(o.root, ['update-ref', '-m', `agent-hub: ${message.split('\n')[0]}`, o.ref, sha, tip ?? ZERO]);
  } catch (err) {
    throw err instanceof GitError ? new GitError(err.args, err.exitCode, `${o.ref} moved while committing; retrying at the next interval. ${err.stderr}`) : err;
  }
  return { sha, entries };
}
