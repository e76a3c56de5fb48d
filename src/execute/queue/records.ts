import type { Db } from '../../registry/db.js';
import type { Finish } from '../../registry/executions.js';
import { SAVE_TO_HINT } from '../../spec/write-paths.js';
import type { BackendContext } from '../backend.js';
import { saveOutput } from '../output.js';
import type { SavedOutput } from './protocol.js';
import type { Job } from '../backend.js';
import { renderWith } from '../../template/render.js';
import path from 'node:path';

/**
 * saveTo content a worker sent back, written by the hub (the single writer of the
 * repository) with the same checks as a local run; a write that fails fails the run,
 * its result kept, not retried.
 */
export function applyOutputs(ctx: BackendContext, f: Finish, outputs: SavedOutput[], expected: string | null): Finish {
  if (f.status !== 'success') return f;
  // Whoever can write to the queue's Redis could send any path: only the run's own saveTo is taken.
  const stray = outputs.find((o) => o.path !== expected);
  if (stray) {
    return { ...f, status: 'failed', finishedAt: ctx.now(), errorKind: 'invalid-output', retryable: false,
      error: `a worker sent a saveTo output for "${stray.path}", but this run saves ${expected ? `to "${expected}"` : 'no file'}: refused, nothing written (is the queue's Redis shared with someone else? see docs/workers.md)` };
  }
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

/**
 * The repository-relative file a run's result may be saved to: its connector's saveTo,
 * rendered as the worker rendered it (the run's own fields, the time it started). Null when
 * the connector saves nothing or the template does not render.
 */
export function expectedOutput(root: string, job: Job, startedAt: Date | undefined): string | null {
  const saveTo = job.version.spec.output.saveTo;
  if (!saveTo || !startedAt) return null;
  try {
    const rendered = renderWith(saveTo, job.version, job.inputs, {
      id: job.id, trigger: job.trigger, scheduledFor: job.scheduledFor, attempt: job.attempt, now: startedAt, ...(job.event ? { event: job.event } : {}),
    });
    return path.relative(root, path.resolve(root, rendered)).split(path.sep).join('/');
  } catch {
    return null;
  }
}
