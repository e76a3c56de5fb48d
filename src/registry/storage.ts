import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { silentLogger, type Logger } from '../log/logger.js';

/** Why the hub cannot write: shown by /healthz, status, the dashboard, metrics and the log. */
export interface StorageProblem {
  /** `disk full: /srv/hub/.agent-hub/hub.db` */
  reason: string;
  since: string;
  /** The latest error as the system gave it. */
  error: string;
}

/**
 * A storage failure the hub survives (the disk is full, a quota, an I/O error), with a
 * reason for people; undefined for any other error, which stays a bug to report.
 */
export function storageFailure(err: unknown, dbFile: string): string | undefined {
  const e = err as { code?: unknown; path?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const where = typeof e?.path === 'string' ? e.path : code.startsWith('SQLITE_') ? dbFile : undefined;
  const at = where ? `: ${where}` : '';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return `disk full${at}`;
  if (code === 'EDQUOT') return `disk quota exceeded${at}`;
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') return `I/O error${at}`;
  if (code === 'SQLITE_READONLY' || code === 'EROFS') return `read-only file system${at}`;
  return undefined;
}

export interface StorageHealthOptions {
  /** The registry database: named in reasons for SQLite errors. */
  dbFile: string;
  log?: Logger;
  /** Between retries of the writes kept in memory (default 1 s). */
  retryMs?: number;
}

interface Kept {
  what: string;
  write: () => void;
}

/** A write that must happen: room enough that a full disk is not merely a WAL page away from full again. */
const PROBE_BYTES = 256 * 1024;

/**
 * The one place that decides what a failed write means. A write that fails for lack of
 * space (or an I/O error) marks the hub degraded instead of crashing it; writes that must
 * not be lost (a finished run's record) are kept in memory, in order, and retried until
 * they succeed, each exactly once. The hub is healthy again when every kept write is done
 * and a probe shows there is room to write.
 */
export class StorageHealth {
  private current: StorageProblem | undefined;
  private readonly kept: Kept[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: Array<() => void> = [];
  private readonly log: Logger;
  private readonly retryMs: number;
  private failures = 0;

  constructor(private readonly o: StorageHealthOptions) {
    this.log = o.log ?? silentLogger;
    this.retryMs = o.retryMs ?? 1000;
  }

  /** Set while the hub cannot write. */
  get problem(): StorageProblem | undefined {
    return this.current;
  }

  /** Writes kept in memory, waiting for room. */
  get waiting(): number {
    return this.kept.length;
  }

  /** Storage failures seen since start (for /metrics). */
  get failureCount(): number {
    return this.failures;
  }

  /** Called whenever the hub becomes degraded or healthy again, its reason changes, or the kept writes change. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Runs a write. A storage failure is noted (the hub is degraded) and returns false; any
   * other error is thrown.
   */
  attempt(what: string, write: () => void): boolean {
    try {
      write();
      return true;
    } catch (err) {
      this.fail(what, err);
      return false;
    }
  }

  /**
   * Runs a write that must not be lost: now, or (on a storage failure, or while earlier
   * kept writes still wait) later from memory, in the order asked. True when it is done.
   */
  keep(what: string, write: () => void): boolean {
    if (!this.kept.length && this.attempt(what, write)) return true;
    return this.hold(what, write);
  }

  /**
   * keep() for a write done off the event loop (`write`, a promise): tried at once unless
   * earlier kept writes still wait; on a storage failure its synchronous form `retry` is
   * kept and retried like keep()'s. Resolves true when the write is done; rejects with any
   * other error, as keep() throws it.
   */
  async keepAsync(what: string, write: () => Promise<void>, retry: () => void): Promise<boolean> {
    if (!this.kept.length) {
      try {
        await write();
        return true;
      } catch (err) {
        this.fail(what, err);
      }
    }
    return this.hold(what, retry);
  }

  /** Keeps a write in memory, behind those already kept, to be retried when there is room. */
  private hold(what: string, write: () => void): false {
    this.kept.push({ what, write });
    this.changed();
    this.arm();
    return false;
  }

  /** Notes a storage failure raised elsewhere (a reconcile, a stray rejection); false if `err` is not one. */
  note(what: string, err: unknown): boolean {
    if (!storageFailure(err, this.o.dbFile)) return false;
    this.fail(what, err);
    return true;
  }

  /**
   * Retries the kept writes in order, stopping at the first that still fails; clears the
   * problem once none is left and there is room to write. True when nothing waits.
   */
  flush(): boolean {
    while (this.kept.length) {
      const next = this.kept[0] as Kept;
      if (!this.attempt(next.what, next.write)) return false;
      this.kept.shift();
      this.changed();
    }
    if (this.current && this.roomToWrite()) {
      this.log.info({ since: this.current.since, reason: this.current.reason }, 'storage recovered: writes succeed again');
      this.current = undefined;
      this.changed();
    }
    return true;
  }

  /** Stops retrying; what is still kept is returned for the caller to report. */
  stop(): string[] {
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.kept.map((k) => k.what);
  }

  private fail(what: string, err: unknown): void {
    const reason = storageFailure(err, this.o.dbFile);
    if (!reason) throw err;
    this.failures++;
    const error = (err as Error).message;
    if (!this.current) {
      this.current = { reason, since: new Date().toISOString(), error };
      this.log.error({ reason, during: what, err: error }, `storage degraded: ${reason}; the hub keeps running, keeps what it cannot write in memory and retries`);
      this.changed();
    } else {
      const before = this.current.reason;
      // The same failure said without its file ("disk full" after "disk full: …/hub.db") keeps the file.
      const latest = before.startsWith(`${reason}: `) ? before : reason;
      this.current = { ...this.current, reason: latest, error };
      this.log.debug({ reason, during: what, err: error }, 'write failed again; retrying');
      // A reason that says something new (which file is full): what status shows is updated too.
      if (latest !== before) this.changed();
    }
    this.arm();
  }

  /** A probe file in the database's directory: writes and syncs real blocks, then goes. */
  private roomToWrite(): boolean {
    const probe = path.join(path.dirname(this.o.dbFile), '.space-probe');
    try {
      const fd = openSync(probe, 'w');
      try {
        writeSync(fd, Buffer.alloc(PROBE_BYTES));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (err) {
      if (!storageFailure(err, this.o.dbFile)) throw err;
      return false;
    } finally {
      rmSync(probe, { force: true });
    }
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.flush();
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'a write kept for later failed for another reason; dropped');
        this.kept.shift();
        this.changed();
      }
      if (this.current || this.kept.length) this.arm();
    }, this.retryMs);
  }

  private changed(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch {
        // a listener (the health file) must not break the write path
      }
    }
  }
}
