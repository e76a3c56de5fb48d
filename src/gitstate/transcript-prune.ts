import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../registry/db.js';
import { getExecution } from '../registry/executions.js';
import { queuedFiles } from '../registry/git-outbox.js';
import { localTranscriptPath, removeLocalTranscript } from '../execute/transcript-files.js';
import { transcriptFilePath } from './records.js';
import type { StateTarget } from './targets.js';

/**
 * After a state commit: the local copies (.agent-hub/transcripts) of transcripts that are
 * now committed go, so a busy hub does not keep every transcript twice. Kept: runs going,
 * transcripts not committed (waiting, or not listed in their record: `state.transcripts:
 * local`), and any the committed state does not have. Says how many it removed.
 */
export async function pruneCommittedTranscripts(db: Db, root: string, target: StateTarget): Promise<number> {
  let names: string[];
  try {
    names = readdirSync(path.dirname(localTranscriptPath(root, 'x')));
  } catch {
    return 0; // no transcripts yet
  }
  const queued = new Set(queuedFiles(db).map((f) => f.path));
  const candidates = new Map<string, string>();
  for (const name of names.filter((n) => n.endsWith('.jsonl'))) {
    const e = getExecution(db, name.slice(0, -'.jsonl'.length));
    if (!e?.transcript || (e.status !== 'success' && e.status !== 'failed')) continue;
    const rel = transcriptFilePath(e);
    if (!queued.has(rel)) candidates.set(rel, e.id);
  }
  if (!candidates.size) return 0;
  const committed = await target.existing([...candidates.keys()]);
  for (const rel of committed) removeLocalTranscript(root, candidates.get(rel) as string);
  return committed.size;
}
