import type { AgentOutcome } from '../types.js';

export type ClaudeJson = Record<string, unknown>;

/** The final JSON object: the whole stdout, or the last line of it (stream-json ends with it). */
export function parseResult(stdout: string): ClaudeJson | undefined {
  const text = stdout.trim();
  if (!text) return undefined;
  for (const candidate of [text, text.split('\n').pop() ?? '']) {
    try {
      const v = JSON.parse(candidate) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v) && (v as ClaudeJson).type === 'result') return v as ClaudeJson;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/**
 * The `result` text of a JSON result cut short: decoded up to where the output stopped
 * (an escape sequence cut in half is dropped). Null when the cut came before it.
 */
export function partialResult(stdout: string): string | null {
  const start = /"result"\s*:\s*"/.exec(stdout);
  if (!start) return null;
  let raw = '';
  for (let i = start.index + start[0].length; i < stdout.length; i++) {
    const c = stdout[i] as string;
    if (c === '"') break;
    if (c === '\\') {
      const esc = stdout.slice(i, stdout[i + 1] === 'u' ? i + 6 : i + 2);
      if (!/^\\(["\\/bfnrt]|u[0-9a-fA-F]{4})$/.test(esc)) break; // cut inside the escape
      raw += esc;
      i += esc.length - 1;
    } else raw += c;
  }
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/** Cost, usage, session, turns and denied tools, as far as the JSON result has them. */
export function usageOf(json: ClaudeJson | undefined): Partial<AgentOutcome> {
  if (!json) return {};
  return {
    costUsd: typeof json.total_cost_usd === 'number' ? json.total_cost_usd : null,
    usage: { usage: json.usage ?? null, modelUsage: json.modelUsage ?? null, durationMs: json.duration_ms ?? null, subtype: json.subtype ?? null },
    sessionId: typeof json.session_id === 'string' ? json.session_id : null,
    numTurns: typeof json.num_turns === 'number' ? json.num_turns : null,
    permissionDenials: Array.isArray(json.permission_denials) ? json.permission_denials : null,
  };
}
