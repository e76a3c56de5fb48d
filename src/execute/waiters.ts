import type { Execution } from '../registry/executions.js';

type Resolve = (e: Execution) => void;

/** Promises for runs to end: one attempt by its id, or a run and its retries by the first attempt's id. */
export class Waiters {
  private readonly attempts = new Map<string, Resolve[]>();
  private readonly chains = new Map<string, Resolve[]>();

  attempt(id: string): Promise<Execution> {
    return new Promise((resolve) => this.attempts.set(id, [...(this.attempts.get(id) ?? []), resolve]));
  }

  chain(rootId: string): Promise<Execution> {
    return new Promise((resolve) => this.chains.set(rootId, [...(this.chains.get(rootId) ?? []), resolve]));
  }

  /** An attempt is recorded as finished. */
  attemptOver(e: Execution): void {
    for (const resolve of this.attempts.get(e.id) ?? []) resolve(e);
    this.attempts.delete(e.id);
  }

  /** No further retry is coming: `last` is the chain's final attempt. */
  chainOver(rootId: string, last: Execution): void {
    for (const resolve of this.chains.get(rootId) ?? []) resolve(last);
    this.chains.delete(rootId);
  }
}
