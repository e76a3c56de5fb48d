import { durationMs } from '../core/duration.js';

/**
 * Named background loops at intervals hub.yaml sets (commit, pull, resync): setting a
 * loop again with the same interval leaves it running where it is, a new interval
 * restarts it, none stops it. One owner, so a changed hub.yaml re-arms them in one place.
 */
export class Intervals {
  private readonly loops = new Map<string, { every: string; timer: NodeJS.Timeout }>();

  /** Runs `task` every `every` (`90s`, `5m`); undefined: the loop is off. */
  set(name: string, every: string | undefined, task: () => void): void {
    const current = this.loops.get(name);
    if (current?.every === every) return;
    clearInterval(current?.timer);
    this.loops.delete(name);
    if (every !== undefined) this.loops.set(name, { every, timer: setInterval(task, durationMs(every)) });
  }

  /** The interval a loop runs at now, or undefined when it is off. */
  every(name: string): string | undefined {
    return this.loops.get(name)?.every;
  }

  /** Stops the named loops, or every loop. */
  stop(names: readonly string[] = [...this.loops.keys()]): void {
    for (const name of names) {
      clearInterval(this.loops.get(name)?.timer);
      this.loops.delete(name);
    }
  }
}
