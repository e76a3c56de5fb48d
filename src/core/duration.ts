const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /([0-9]+)(ms|s|m|h|d)/g;
const WHOLE = /^([0-9]+(ms|s|m|h|d))+$/;

// A few spellings (5m, 10s) recur in every connector: remembered, as a cold apply checks thousands.
const parsed = new Map<string, number | undefined>();

/** Parses `90s`, `5m`, `1h30m` into milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (parsed.has(text)) return parsed.get(text);
  let total: number | undefined;
  if (WHOLE.test(text)) {
    total = 0;
    for (const m of text.matchAll(PART)) total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  if (parsed.size >= 1000) parsed.clear();
  parsed.set(text, total);
  return total;
}

/** Like parseDuration, for values already checked by the schema. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`not a duration: ${text}`);
  return ms;
}
