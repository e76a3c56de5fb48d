/**
 * One queue for every reconcile trigger (file events, resync, SIGHUP, the API, a pull):
 * at most one pass at a time, and a request that arrives while a pass runs marks the
 * queue dirty, so exactly one more pass follows and serves every request that came in
 * meanwhile (the dirty flag of controller-runtime's workqueue). Without it an edit saved
 * while a pass was reading the files would wait for the next trigger. File events name the
 * paths they saw: a pass serving only such requests gets them all, merged; one request
 * without paths (start, resync, SIGHUP, the API, a pull) makes the pass a full one.
 */
export class ReconcileQueue<R> {
  private running = false;
  private closed = false;
  private readonly idleWaiters: Array<() => void> = [];
  /** Requests waiting for the next pass: their triggers and their callers. */
  private next: { triggers: string[]; changed: Set<string> | undefined; waiters: Array<{ resolve: (r: R) => void; reject: (err: unknown) => void }> } | undefined;

  /** `changed` is undefined for a full pass. */
  constructor(private readonly pass: (triggers: string[], changed?: string[]) => Promise<R>) {}

  /** Whether a pass is running now. */
  get busy(): boolean {
    return this.running;
  }

  /**
   * Asks for a pass. Resolves with the result of a pass that started after this request
   * (and so saw every file as it was when the request was made); rejects if that pass failed.
   */
  request(trigger: string, changed?: readonly string[]): Promise<R> {
    if (this.closed) return Promise.reject(new Error('the hub is stopping; no more reconciles'));
    return new Promise<R>((resolve, reject) => {
      this.next ??= { triggers: [], changed: changed && new Set(), waiters: [] };
      if (!this.next.triggers.includes(trigger)) this.next.triggers.push(trigger);
      if (!changed) this.next.changed = undefined;
      else for (const p of changed) this.next.changed?.add(p);
      this.next.waiters.push({ resolve, reject });
      if (!this.running) this.drain();
    });
  }

  /** Takes no more requests; resolves once the passes already asked for are done. */
  close(): Promise<void> {
    this.closed = true;
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private drain(): void {
    const batch = this.next;
    if (!batch) {
      this.idleWaiters.splice(0).forEach((resolve) => resolve());
      return;
    }
    this.next = undefined;
    this.running = true;
    let done: Promise<R>;
    try {
      done = this.pass(batch.triggers, batch.changed && [...batch.changed]);
    } catch (err) {
      done = Promise.reject(err);
    }
    done.then(
      (r) => batch.waiters.forEach((w) => w.resolve(r)),
      (err: unknown) => batch.waiters.forEach((w) => w.reject(err)),
    ).finally(() => {
      this.running = false;
      this.drain();
    });
  }
}
