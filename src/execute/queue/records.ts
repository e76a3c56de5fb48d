import type { Db } from '../../registry/db.js';
import type { Finish } from '../../registry/executions.js';
import { SAVE_TO_HINT } from '../../spec/write-paths.js';
import type { BackendContext } from '../backend.js';
import { saveOutput } from '../output.js';
import type { SavedOutput } from './protocol.js';

/**
 * saveTo content a worker sent back, written by the hub (the single writer of the
 * repository) with the same checks as a local run; a write that fails fails the run,
 * its result kept, not retried.
 */
export function applyOutputs(ctx: BackendContext, f: Finish, outputs: SavedOutput[]): Finish {
  if (f.status !== 'success') return f;
  const readBy = ctx.filesReadByConnectors?.() ?? new Map<string, string>();
  for (const o of outputs) {
    try {
      ctx.onOutput?.(saveOutput(ctx.root, o.path, o.content, readBy));
    } catch (err) {
      return { ...f, status: 'failed', finishedAt: ctx.now(), errorKind: 'invalid-output', retryable: false,
        error: `could not save the result to ${o.path}: ${(err as Error).message}; the result is kept in this run record (${SAVE_TO_HINT})` };
    }
  }
  return f;
}

/** A record beside the run's own that cannot be written (a full disk) is logged: the result itself is still applied, never dropped. */
export function sideRecord(ctx: BackendContext, what: string, fn: (db: Db) => void): void {
  if (!ctx.db) return;
  try {
    fn(ctx.db);
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message }, `could not ${what}`);
  }
}
