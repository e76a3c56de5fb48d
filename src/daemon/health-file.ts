import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from '../registry/db.js';
import type { HubHealth } from '../hub.js';

const FILE = 'health.json';
/** The file keeps this size: rewritten in place, it needs no new block on a full disk. */
const SIZE = 4096;

/** What the running daemon last said of its health, as `agent-hub status` reads it. */
export interface DaemonHealth extends HubHealth {
  pid: number;
  updatedAt: string;
  /** Where the API and dashboard listen, once they do. */
  url?: string;
}

/**
 * `.agent-hub/health.json`: the daemon's health for other processes (`agent-hub status`).
 * Created at start at a fixed size and rewritten in place, so that it can still say
 * "disk full" when nothing else can be written; removed at a clean stop.
 */
export class HealthFile {
  private readonly file: string;
  private fd: number | undefined;
  /** Where the daemon listens, said in every write from when it is known. */
  url: string | undefined;

  constructor(root: string) {
    this.file = path.join(root, STATE_DIR, FILE);
    try {
      this.fd = openSync(this.file, 'w');
    } catch {
      this.fd = undefined; // status then simply does not show the daemon's health
    }
  }

  write(health: HubHealth): void {
    if (this.fd === undefined) return;
    const body: DaemonHealth = { pid: process.pid, updatedAt: new Date().toISOString(), ...(this.url ? { url: this.url } : {}), ...health };
    let text = JSON.stringify(body);
    if (text.length > SIZE) text = JSON.stringify({ ...body, reasons: body.reasons.map((r) => r.slice(0, 200)), storage: body.storage && { ...body.storage, error: body.storage.error.slice(0, 200) } }).slice(0, SIZE);
    const buf = Buffer.alloc(SIZE, ' ');
    buf.write(text, 0, 'utf8');
    try {
      writeSync(this.fd, buf, 0, SIZE, 0);
    } catch {
      // best effort: /healthz and the log still say it
    }
  }

  remove(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.file, { force: true });
  }
}

/** The health a running daemon wrote for this repository; undefined when no daemon runs. */
export function readDaemonHealth(root: string): DaemonHealth | undefined {
  try {
    const h = JSON.parse(readFileSync(path.join(root, STATE_DIR, FILE), 'utf8')) as DaemonHealth;
    process.kill(h.pid, 0); // a daemon killed -9 leaves the file behind
    return h;
  } catch {
    return undefined;
  }
}
