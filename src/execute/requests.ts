import type { Trigger } from '../registry/executions.js';
import type { RunEvent } from '../core/events.js';
import { EXIT, UserError } from '../core/errors.js';

/** A request to run a connector now (or for a scheduled slot). */
export interface RunRequest {
  connectorId: string;
  trigger: Trigger;
  inputs?: Record<string, unknown>;
  /** Inputs are command-line strings to coerce to their declared types. */
  coerceInputs?: boolean;
  scheduledFor?: Date | null;
  attempt?: number;
  parentId?: string | null;
  /** The event that started it (trigger event): the template's `event`. */
  event?: RunEvent;
}

export type SubmitResult =
  | { status: 'queued'; id: string }
  | { status: 'refused'; reason: 'overlap' | 'duplicate-slot' | 'stopping' | 'storage' | 'paused'; message: string }
  | { status: 'failed'; id: string; reason: 'budget'; message: string };

/** A request that cannot become a run: unknown connector, bad inputs. */
export class RunRequestError extends UserError {
  constructor(readonly code: 'not-found' | 'bad-inputs', message: string, readonly details: string[] = []) {
    super(message, code === 'bad-inputs' ? EXIT.usage : EXIT.failed);
  }
}
