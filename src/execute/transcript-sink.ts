import type { TranscriptEvent } from '../agents/transcript.js';
import type { Execution } from '../registry/executions.js';
import { DEFAULT_TRANSCRIPTS, type TranscriptMode } from '../spec/hub-config.js';
import type { Logger } from '../log/logger.js';
import type { RunEvents } from './live.js';
import { appendTranscript } from './transcript-files.js';

/**
 * Where a run's events go as they arrive, whichever backend ran it: the live bus, and
 * (unless hub.yaml says `state.transcripts: off`) `.agent-hub/transcripts/<run-id>.jsonl`.
 * A write that fails (a full disk) is logged; the run goes on and its record is kept.
 */
export class TranscriptSink {
  private readonly last = new Map<string, number>();
  private readonly failed = new Set<string>();

  constructor(private readonly root: string, private readonly mode: () => TranscriptMode | undefined, readonly live: RunEvents, private readonly log: Logger) {}

  event(runId: string, e: TranscriptEvent): void {
    this.last.set(runId, e.seq);
    if ((this.mode() ?? DEFAULT_TRANSCRIPTS) !== 'off' && !this.failed.has(runId)) {
      try {
        appendTranscript(this.root, runId, e);
      } catch (err) {
        this.failed.add(runId);
        this.log.warn({ run: runId, err: (err as Error).message }, 'transcript not written; the run goes on');
      }
    }
    this.live.publish(runId, e);
  }

  /** The run is recorded: its last event says how it ended. */
  end(e: Execution, at: Date): void {
    const seq = this.last.get(e.id);
    this.last.delete(e.id);
    this.failed.delete(e.id);
    // A run that never produced an event (refused before start) has no transcript to close.
    if (seq === undefined) {
      this.live.publish(e.id, { kind: 'end', status: e.status, error: e.error, seq: 1, at: at.toISOString() });
      return;
    }
    this.event(e.id, { kind: 'end', status: e.status, error: e.error, seq: seq + 1, at: at.toISOString() });
  }
}
