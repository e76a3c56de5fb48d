/**
 * The paths of a burst of file events, handed over once the burst has been quiet for
 * `quietMs`: each event puts the call off again, but by 25 times `quietMs` at most from the
 * burst's first event, so a tool writing without a pause holds no edit back.
 */
export class Burst {
  private batch = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** When the batch's first event came. */
  private since = 0;

  constructor(private readonly onChange: (paths: string[]) => void, private readonly quietMs: number) {}

  add(rel: string): void {
    if (!this.batch.size) this.since = Date.now();
    else if (Date.now() - this.since >= 25 * this.quietMs) return void this.batch.add(rel); // put off long enough: the timer set fires
    this.batch.add(rel);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const paths = [...this.batch];
      this.batch = new Set();
      this.onChange(paths);
    }, this.quietMs);
  }

  cancel(): void {
    clearTimeout(this.timer);
  }
}
