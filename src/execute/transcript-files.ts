import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { TranscriptEvent } from '../agents/transcript.js';
import { STATE_DIR } from '../registry/db.js';

/** How a committed transcript's name ends: `<run-id>.transcript.jsonl`. */
export const TRANSCRIPT_SUFFIX = '.transcript.jsonl';

/** A committed transcript's file name, next to its run record `<run-id>.json`. */
export function transcriptName(runId: string): string {
  return `${runId}${TRANSCRIPT_SUFFIX}`;
}

/** Where the hub writes a run's transcript as it happens: `.agent-hub/transcripts/<run-id>.jsonl`. */
export function localTranscriptPath(root: string, runId: string): string {
  return path.join(root, STATE_DIR, 'transcripts', `${runId}.jsonl`);
}

/** Appends one event (a line); the directory is made on first use. */
export function appendTranscript(root: string, runId: string, e: TranscriptEvent): void {
  const file = localTranscriptPath(root, runId);
  try {
    appendFileSync(file, `${JSON.stringify(e)}\n`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(path.dirname(file), { recursive: true });
    appendFileSync(file, `${JSON.stringify(e)}\n`);
  }
}

/** The events of a transcript file's text; a line cut by a crash is skipped. */
export function parseTranscript(text: string): TranscriptEvent[] {
  const out: TranscriptEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as TranscriptEvent);
    } catch {
      // a half-written last line
    }
  }
  return out;
}

/** The first of these files that exists, read as a transcript; undefined when none does. */
export function readTranscriptFile(...files: string[]): TranscriptEvent[] | undefined {
  for (const f of files) if (existsSync(f)) return parseTranscript(readFileSync(f, 'utf8'));
  return undefined;
}

export function removeLocalTranscript(root: string, runId: string): void {
  rmSync(localTranscriptPath(root, runId), { force: true });
}
