import { git } from './git.js';
import { STATE_DIR } from './records.js';
import type { StateTarget } from './targets.js';
import type { Author } from './author.js';

/** The newest commit that changed the hub's state. */
export interface StateCommit {
  sha: string;
  /** Committer date, ISO 8601. */
  at: string;
  subject: string;
  /** Where it is: the checked-out branch, or the state branch (maybe only its remote copy). */
  ref: string;
}

/**
 * The newest commit of the hub's that touched `state/` where the target keeps it: HEAD, or
 * `state.branch` (its remote-tracking copy when a fresh clone has no local one yet). A
 * person's own commit touching `state/` does not count: only commits by the hub's author
 * (state.author) with the hub's subject (`state: …`). Null outside git or before the first.
 */
export async function lastStateCommit(root: string, target: StateTarget, author: Author): Promise<StateCommit | null> {
  const ref = await target.stateRef().catch(() => null); // not a git repository
  if (!ref) return null;
  // git's --author is a basic regular expression: only these characters are special in one.
  const byHub = [`--author=<${author.email.replace(/[.*[\]^$\\]/g, '\\$&')}>`, '--grep=^state: '];
  const r = await git(root, ['log', '-1', '--format=%H%x00%cI%x00%s', ...byHub, ref, '--', STATE_DIR], { ok: [128] });
  const [sha, at, subject] = r.exitCode === 0 ? r.stdout.trim().split('\0') : [];
  if (!sha || !at) return null;
  const name = ref === 'HEAD' ? (await git(root, ['rev-parse', '--abbrev-ref', 'HEAD'])).stdout.trim() : ref.replace(/^refs\/(heads|remotes)\//, '');
  return { sha, at, subject: subject ?? '', ref: name };
}
