import path from 'node:path';
import type { TranscriptEvent } from '../agents/transcript.js';
import type { Execution } from '../registry/executions.js';
import type { HubConfig } from '../spec/hub-config.js';
import { localTranscriptPath, parseTranscript, readTranscriptFile } from '../execute/transcript-files.js';
import { transcriptFilePath } from './records.js';
import { stateTarget } from './state.js';

/**
 * A run's transcript from the files at hand: the one the hub wrote as it ran
 * (.agent-hub/transcripts), or the committed one in the work tree or waiting to be
 * committed. Undefined when there is none here.
 */
export function readLocalTranscript(root: string, config: HubConfig, e: Execution): TranscriptEvent[] | undefined {
  const files = [localTranscriptPath(root, e.id)];
  if (e.transcript) {
    const rel = transcriptFilePath(e);
    files.push(path.join(root, rel), path.join(stateTarget(root, config).dir, rel));
  }
  return readTranscriptFile(...files);
}

/** As readLocalTranscript, and else the committed file wherever state is committed (state.branch included). */
export async function readTranscript(root: string, config: HubConfig, e: Execution): Promise<TranscriptEvent[] | undefined> {
  const here = readLocalTranscript(root, config, e);
  if (here || !e.transcript) return here;
  const rel = transcriptFilePath(e);
  for await (const f of stateTarget(root, config).stateFiles(path.posix.dirname(rel))) {
    if (f.path === rel) return parseTranscript(f.text);
  }
  return undefined;
}
