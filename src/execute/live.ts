import type { TranscriptEvent } from '../agents/transcript.js';

type Listener = (e: TranscriptEvent) => void;

/** Events kept in memory per running run, for a viewer that reconnects (Last-Event-ID) when nothing is stored. */
const KEEP = 2000;

/**
 * The live events of running runs, as any backend reports them (the local one from its
 * agents' output; a remote worker's through the hub that hears from it): viewers subscribe
 * by run id and get every event after the one they last saw. Nothing here is stored.
 */
export class RunEvents {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly recent = new Map<string, TranscriptEvent[]>();

  publish(runId: string, e: TranscriptEvent): void {
    const kept = this.recent.get(runId) ?? [];
    kept.push(e);
    if (kept.length > KEEP) kept.splice(0, kept.length - KEEP);
    this.recent.set(runId, kept);
    for (const listener of this.listeners.get(runId) ?? []) listener(e);
    if (e.kind === 'end') {
      this.recent.delete(runId);
      this.listeners.delete(runId);
    }
  }

  /** True while a run has published and not ended. */
  live(runId: string): boolean {
    return this.recent.has(runId);
  }

  /** Events of a running run held in memory after `seq` (the last ones only, see KEEP). */
  since(runId: string, seq: number): TranscriptEvent[] {
    return (this.recent.get(runId) ?? []).filter((e) => e.seq > seq);
  }

  /** Calls `listener` with each new event of the run until it ends or the returned function is called. */
  subscribe(runId: string, listener: Listener): () => void {
    const set = this.listeners.get(runId) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(runId, set);
    return () => void this.listeners.get(runId)?.delete(listener);
  }

  /** Runs with a viewer or events now (for tests and /metrics). */
  get size(): number {
    return this.recent.size;
  }
}
