/**
 * Timers of recorded retries waiting for their backoff, by connector. The pending rows
 * (with `not_before`) are the truth and survive a restart; a timer only wakes the hub when
 * one is due, so the hub can check the connector and budget again before it runs.
 */
export class RetryTimers {
  private readonly byConnector = new Map<string, Map<NodeJS.Timeout, string>>();

  constructor(private readonly due: (rowId: string) => void) {}

  arm(connectorId: string, rowId: string, delayMs: number): void {
    const timers = this.byConnector.get(connectorId) ?? new Map<NodeJS.Timeout, string>();
    const timer = setTimeout(() => {
      timers.delete(timer);
      this.due(rowId);
    }, delayMs);
    timers.set(timer, rowId);
    this.byConnector.set(connectorId, timers);
  }

  /** Stops the timers of a connector; returns the retry rows they were for. */
  drop(connectorId: string): string[] {
    const timers = this.byConnector.get(connectorId) ?? new Map<NodeJS.Timeout, string>();
    for (const timer of timers.keys()) clearTimeout(timer);
    this.byConnector.delete(connectorId);
    return [...timers.values()];
  }

  /** Stops every timer; the rows stay pending for the next start to resume. */
  clear(): void {
    for (const id of [...this.byConnector.keys()]) this.drop(id);
  }
}
