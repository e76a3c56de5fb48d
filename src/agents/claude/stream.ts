import type { TranscriptStep } from '../transcript.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** A tool result's content: a string, or blocks of which the text ones are kept. */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content === undefined ? '' : JSON.stringify(content);
  return content.map((b) => {
    const block = obj(b);
    if (block?.type === 'text') return str(block.text) ?? '';
    return `[${String(block?.type ?? 'content')}]`;
  }).join('\n');
}

/**
 * The steps in one line of `claude -p --output-format stream-json --verbose` (checked
 * against 2.1.197: system init, assistant messages with text and tool_use blocks, user
 * messages with tool_result blocks, the final result). Null for a line that is not one of
 * its JSON events: the caller keeps it as plain output. Unknown event types give no step.
 */
export function streamSteps(line: string): TranscriptStep[] | null {
  let event: Obj | undefined;
  try {
    event = obj(JSON.parse(line));
  } catch {
    return null;
  }
  if (!event || typeof event.type !== 'string') return null;
  switch (event.type) {
    case 'system':
      if (event.subtype !== 'init') return [];
      return [{ kind: 'init', model: str(event.model), sessionId: str(event.session_id), tools: Array.isArray(event.tools) ? event.tools.filter((t): t is string => typeof t === 'string') : [] }];
    case 'assistant':
    case 'user': {
      const content = obj(event.message)?.content;
      if (typeof content === 'string') return event.type === 'assistant' && content ? [{ kind: 'text', text: content }] : [];
      if (!Array.isArray(content)) return [];
      const steps: TranscriptStep[] = [];
      for (const b of content) {
        const block = obj(b);
        if (!block) continue;
        if (block.type === 'text' && event.type === 'assistant' && str(block.text)) steps.push({ kind: 'text', text: str(block.text) as string });
        else if (block.type === 'tool_use') steps.push({ kind: 'tool', id: str(block.id) ?? '', name: str(block.name) ?? '?', input: block.input ?? null });
        else if (block.type === 'tool_result') steps.push({ kind: 'tool-result', id: str(block.tool_use_id) ?? '', text: resultText(block.content), isError: block.is_error === true });
      }
      return steps;
    }
    case 'result': {
      const denials = Array.isArray(event.permission_denials) ? event.permission_denials : [];
      const steps: TranscriptStep[] = denials.map((d) => {
        const denial = obj(d) ?? {};
        return { kind: 'denied', tool: str(denial.tool_name) ?? '?', id: str(denial.tool_use_id), input: denial.tool_input ?? null };
      });
      steps.push({
        kind: 'result', subtype: str(event.subtype), isError: event.is_error === true, text: str(event.result), costUsd: num(event.total_cost_usd),
        usage: obj(event.usage) ?? null, numTurns: num(event.num_turns), durationMs: num(event.duration_ms),
      });
      return steps;
    }
    default:
      return [];
  }
}
