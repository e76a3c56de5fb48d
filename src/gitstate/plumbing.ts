import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { git, GitError, repoPaths } from './git.js';
import type { Author, StagedFile } from './targets.js';

const ZERO = '0'.repeat(40);

export function authorEnv(a: Author): Record<string, string> {
  return { GIT_AUTHOR_NAME: a.name, GIT_AUTHOR_EMAIL: a.email, GIT_COMMITTER_NAME: a.name, GIT_COMMITTER_EMAIL: a.email };
}

export interface PlumbingCommit {
  root: string;
  /** The ref to advance: `refs/heads/<branch>`. */
  ref: string;
  /** A private index file mirroring the ref's tip, kept between commits, and its marker. */
  indexFile: string;
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

/**
 * Commits files on top of a ref without the work tree or the user's index: blobs, a
 * private index (split, so a large one is not rewritten whole), write-tree, commit-tree,
 * and a compare-and-swap update-ref. The cost follows the batch, not the history.
 */
export async function commitFiles(o: PlumbingCommit): Promise<PlumbingResult> {
  const { prefix, gitDir } = await repoPaths(o.root);
  const env = { GIT_INDEX_FILE: o.indexFile };
  const split = ['-c', 'core.splitIndex=true'];
  const tipFile = `${o.indexFile}.tip`;
  mkdirSync(path.dirname(o.indexFile), { recursive: true });
  const tipOut = await git(o.root, ['rev-parse', '--verify', '--quiet', `${o.ref}^{commit}`], { ok: [1] });
  const tip = tipOut.exitCode === 0 ? tipOut.stdout.trim() : null;
  // The private index mirrors the tip; rebuilt only when the ref moved under us (a user's commit, a pull).
  const known = existsSync(tipFile) ? readFileSync(tipFile, 'utf8').trim() : '';
  if (!existsSync(o.indexFile) || known !== (tip ?? '')) {
    await git(o.root, [...split, 'read-tree', ...(tip ? [tip] : ['--empty'])], { env });
  }
  const blobs = (await git(o.root, ['hash-object', '-w', '--stdin-paths'], { input: `${o.files.map((f) => f.source).join('\n')}\n` })).stdout.trim().split('\n');
  const entries = o.files.map((f, i) => `100644 ${blobs[i]}\t${prefix}${f.path}`);
  await git(o.root, [...split, 'update-index', '--add', '--index-info'], { env, input: `${entries.join('\n')}\n` });
  const tree = (await git(o.root, ['write-tree'], { env })).stdout.trim();
  if (tip && (await git(o.root, ['rev-parse', `${tip}^{tree}`])).stdout.trim() === tree) {
    writeFileSync(tipFile, `${tip}\n`);
    return { sha: null, entries };
  }
  let message = o.message;
  if (o.hooks) {
    // Hooks see what is being committed, as with `git commit --only`: our index, our message.
    await git(o.root, ['hook', 'run', '--ignore-missing', 'pre-commit'], { env: { ...env, ...authorEnv(o.author) } });
    const msgFile = path.join(gitDir, 'AGENT_HUB_COMMIT_MSG');
    writeFileSync(msgFile, message);
    await git(o.root, ['hook', 'run', '--ignore-missing', 'commit-msg', '--', msgFile], { env: { ...env, ...authorEnv(o.author) } });
    message = readFileSync(msgFile, 'utf8');
  }
  const sha = (await git(o.root, ['commit-tree', tree, ...(tip ? ['-p', tip] : []), '-F', '-'], { input: message, env: authorEnv(o.author) })).stdout.trim();
  try {
    await git(o.root, ['update-ref', '-m', `agent-hub: ${message.split('\n')[0]}`, o.ref, sha, tip ?? ZERO]);
  } catch (err) {
    // Someone moved the ref since we read it: forget the mirror, the next commit starts from the new tip.
    writeFileSync(tipFile, '');
    throw err instanceof GitError ? new GitError(err.args, err.exitCode, `${o.ref} moved while committing; retrying at the next interval. ${err.stderr}`) : err;
  }
  writeFileSync(tipFile, `${sha}\n`);
  return { sha, entries };
}
