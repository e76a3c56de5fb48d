/**
 * One step of what an agent did, as a run's transcript keeps it: what it said, each tool
 * call and its result, tools it was denied, its final result; for a command agent, its
 * output lines. Stored one JSON object a line (`<run-id>.transcript.jsonl`), streamed live.
 */
export type TranscriptStep =
  | { kind: 'init'; model: string | null; sessionId: string | null; tools: string[] }
  | { kind: 'text'; text: string }
  | { kind: 'tool'; id: string; name: string; input: unknown }
  | { kind: 'tool-result'; id: string; text: string; isError: boolean }
  | { kind: 'denied'; tool: string; id: string | null; input: unknown }
  | {
    kind: 'result'; subtype: string | null; isError: boolean; text: string | null; costUsd: number | null;
    usage: Record<string, unknown> | null; numTurns: number | null; durationMs: number | null;
  }
  | { kind: 'output'; stream: 'stdout' | 'stderr'; text: string }
  /** Added by the hub when the run is recorded: the live view's last event. */
  | { kind: 'end'; status: string; error: string | null };

/** A step with its place in the run (from 1, the SSE event id) and when it arrived. */
export type TranscriptEvent = TranscriptStep & { seq: number; at: string; cut?: number };

/** The one-line summary of a tool call: the command, path, pattern or URL it was given. */
export function toolSummary(input: unknown): string {
  const i = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  for (const key of ['command', 'file_path', 'notebook_path', 'path', 'pattern', 'url', 'query', 'prompt', 'description']) {
    const v = i[key];
    if (typeof v === 'string' && v) return oneLine(v);
  }
  const json = JSON.stringify(input ?? null);
  return oneLine(json === '{}' ? '' : json);
}

/** The first line of a text, at most `max` characters, with an ellipsis when cut. */
export function oneLine(text: string, max = 160): string {
  const first = text.trim().split('\n')[0] ?? '';
  const more = first.length > max || text.trim().includes('\n');
  return `${first.slice(0, max)}${more ? '…' : ''}`;
}
