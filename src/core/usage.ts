/** Token counts a run's agent reported, by what they counted (absent: not reported). */
export interface TokenCounts {
  in?: number;
  out?: number;
  cacheRead?: number;
  cacheCreation?: number;
}

const KEYS = [['in', 'input_tokens'], ['out', 'output_tokens'], ['cacheRead', 'cache_read_input_tokens'], ['cacheCreation', 'cache_creation_input_tokens']] as const;

/** The token counts in a run's recorded usage (the agent's main-loop `usage`); null when it recorded none. */
export function tokenCounts(usage: Record<string, unknown> | null): TokenCounts | null {
  const u = usage?.usage as Record<string, unknown> | null | undefined;
  if (!u || typeof u !== 'object') return null;
  const counts: TokenCounts = {};
  for (const [name, key] of KEYS) if (typeof u[key] === 'number') counts[name] = u[key] as number;
  return counts;
}
