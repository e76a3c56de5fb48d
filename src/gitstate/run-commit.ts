import { git } from './git.js';
import type { StateTarget } from './targets.js';

/** The state commit that recorded a run (its `Agent-Hub-Run:` trailer); null before it is committed or outside git. */
export async function runCommit(root: string, target: StateTarget, runId: string): Promise<{ sha: string; at: string; subject: string } | null> {
  const ref = await target.stateRef().catch(() => null);
  if (!ref || !/^[\w-]+$/.test(runId)) return null;
  const r = await git(root, ['log', '-1', '--fixed-strings', `--grep=Agent-Hub-Run: ${runId} `, '--format=%H%x00%cI%x00%s', ref], { ok: [128] });
  const [sha, at, subject] = r.exitCode === 0 ? r.stdout.trim().split('\0') : [];
  return sha && at ? { sha, at, subject: subject ?? '' } : null;
}
