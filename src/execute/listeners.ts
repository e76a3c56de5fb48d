import type { Logger } from '../log/logger.js';

/** Tells every listener of a backend's event; one that throws is logged and the others still hear it. */
export function tellListeners<T>(log: Logger, listeners: ReadonlyArray<(id: string, x: T) => void>, what: string, id: string, x: T): void {
  for (const listener of listeners) {
    try {
      listener(id, x);
    } catch (err) {
      log.error({ run: id, err: (err as Error).message }, `handling a ${what} run failed`);
    }
  }
}
