/** A git operation of the hub's that can fail and recover. */
export type GitOperation = 'commit' | 'push' | 'pull';

/** What an operator needs to see of the git state: what waits, and what keeps failing. */
export interface GitHealth {
  /** Run records and outputs written but not committed yet. */
  pending: number;
  /** The last commit this process made (null before the first). */
  lastCommitAt: string | null;
  lastPushAt: string | null;
  /** Operations whose last attempt failed: since when, and the latest error. */
  failing: Partial<Record<GitOperation, { since: string; error: string }>>;
}

/** Remembers, per git operation, whether its last attempt failed, since when and why. */
export class HealthTracker {
  private readonly failing = new Map<GitOperation, { since: string; error: string }>();
  lastCommitAt: string | null = null;
  lastPushAt: string | null = null;

  /**
   * Runs one operation and notes how it went: a throw, or a result `problem` finds wrong
   * (a deferred commit, a diverged pull), is a failure; the first failure's time is kept.
   */
  async track<T>(op: GitOperation, task: () => Promise<T>, problem: (result: T) => string | undefined = () => undefined): Promise<T> {
    try {
      const result = await task();
      const p = problem(result);
      if (p) this.fail(op, p);
      else this.failing.delete(op);
      return result;
    } catch (err) {
      this.fail(op, (err as Error).message);
      throw err;
    }
  }

  report(pending: number): GitHealth {
    return { pending, lastCommitAt: this.lastCommitAt, lastPushAt: this.lastPushAt, failing: Object.fromEntries(this.failing) };
  }

  private fail(op: GitOperation, error: string): void {
    this.failing.set(op, { since: this.failing.get(op)?.since ?? new Date().toISOString(), error });
  }
}
