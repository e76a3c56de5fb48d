import type { Finish } from '../registry/executions.js';
import type { Logger } from '../log/logger.js';
import type { JobStart } from './backend.js';

/**
 * What a backend reports of its jobs, to whom: the executor's listeners (one that throws is
 * logged and the others still hear it), and stop(), which waits for jobs to report finished.
 */
export class JobReports {
  private readonly started: Array<(id: string, start: JobStart) => void> = [];
  private readonly finished: Array<(id: string, finish: Finish) => void> = [];
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly log: Logger) {}

  onStarted(listener: (id: string, start: JobStart) => void): void {
    this.started.push(listener);
  }

  onFinished(listener: (id: string, finish: Finish) => void): void {
    this.finished.push(listener);
  }

  /** A job's agent is about to start. */
  start(id: string, start: JobStart): void {
    this.tell(this.started, 'started', id, start);
  }

  /** A job is over: its listeners are told, then whoever waits for it. */
  finish(id: string, finish: Finish): void {
    this.tell(this.finished, 'finished', id, finish);
    for (const resolve of this.waiting.get(id) ?? []) resolve();
    this.waiting.delete(id);
  }

  /** One promise a job, resolved when it reports finished. */
  finishOf(ids: Iterable<string>): Array<Promise<void>> {
    return [...ids].map((id) => new Promise<void>((resolve) => this.waiting.set(id, [...(this.waiting.get(id) ?? []), resolve])));
  }

  private tell<T>(listeners: ReadonlyArray<(id: string, x: T) => void>, what: string, id: string, x: T): void {
    for (const listener of listeners) {
      try {
        listener(id, x);
      } catch (err) {
        this.log.error({ run: id, err: (err as Error).message }, `handling a ${what} run failed`);
      }
    }
  }
}
