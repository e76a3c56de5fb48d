import type { Execution } from '../registry/executions.js';
import { TRANSCRIPT_SUFFIX } from '../execute/transcript-files.js';
import { canonicalJson } from '../spec/hash.js';
import { jsonErrorPosition } from '../core/json-error.js';

export const STATE_DIR = 'state';
export const RUNS_DIR = `${STATE_DIR}/runs`;
export const REGISTRY_DIR = `${STATE_DIR}/registry`;

/** `state/runs/<connector>/<yyyy>/<mm>/<run-id>.json`, by the run's creation time. */
export function runFilePath(e: Pick<Execution, 'id' | 'connectorId' | 'createdAt'>): string {
  const [yyyy, mm] = e.createdAt.slice(0, 7).split('-');
  return `${RUNS_DIR}/${e.connectorId}/${yyyy}/${mm}/${e.id}.json`;
}

/** `<run-id>.transcript.jsonl` next to the run's record. */
export function transcriptFilePath(e: Pick<Execution, 'id' | 'connectorId' | 'createdAt'>): string {
  return runFilePath(e).replace(/\.json$/, TRANSCRIPT_SUFFIX);
}

/**
 * A finished run as a readable, stable file: keys sorted, two-space indent, one trailing
 * newline. The same execution always gives the same bytes, so git stores it once.
 */
export function runRecord(e: Execution): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(e)), null, 2)}\n`;
}

/**
 * Reads a run record back. A file that is not one (hand-edited, truncated, merged badly)
 * throws an error that says the line and what is wrong.
 */
export function parseRunRecord(text: string): Execution {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const at = jsonErrorPosition(text);
    throw new Error(`${at ? `line ${at.line}, column ${at.column}: ` : ''}not valid JSON (${(err as Error).message.replace(/\s+/g, ' ')})`);
  }
  const e = value as Partial<Record<keyof Execution, unknown>> | null;
  for (const key of ['id', 'connectorId', 'status', 'createdAt'] as const) {
    if (typeof e?.[key] !== 'string') throw new Error(`not a run record: "${key}" is missing or not a string`);
  }
  return e as unknown as Execution;
}
