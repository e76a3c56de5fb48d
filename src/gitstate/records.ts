import type { Execution } from '../registry/executions.js';
import { canonicalJson } from '../spec/hash.js';

export const STATE_DIR = 'state';
export const RUNS_DIR = `${STATE_DIR}/runs`;
export const REGISTRY_DIR = `${STATE_DIR}/registry`;

/** `state/runs/<connector>/<yyyy>/<mm>/<run-id>.json`, by the run's creation time. */
export function runFilePath(e: Pick<Execution, 'id' | 'connectorId' | 'createdAt'>): string {
  const [yyyy, mm] = e.createdAt.slice(0, 7).split('-');
  return `${RUNS_DIR}/${e.connectorId}/${yyyy}/${mm}/${e.id}.json`;
}

/**
 * A finished run as a readable, stable file: keys sorted, two-space indent, one trailing
 * newline. The same execution always gives the same bytes, so git stores it once.
 */
export function runRecord(e: Execution): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(e)), null, 2)}\n`;
}

export function parseRunRecord(text: string): Execution {
  return JSON.parse(text) as Execution;
}
