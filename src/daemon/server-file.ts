import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from '../registry/db.js';

const FILE = 'server.json';

/** Where the running daemon answers, for commands on the same machine (`agent-hub logs -f`). */
export interface ServerAddress {
  url: string;
  pid: number;
}

/** Best effort: a hub whose address cannot be written still serves; `logs -f` then needs --url. */
export function writeServerFile(root: string, url: string): void {
  try {
    writeFileSync(path.join(root, STATE_DIR, FILE), `${JSON.stringify({ url, pid: process.pid })}\n`);
  } catch {
    // see above
  }
}

export function removeServerFile(root: string): void {
  rmSync(path.join(root, STATE_DIR, FILE), { force: true });
}

/** The running daemon's address; undefined when none is written or its process is gone. */
export function readServerFile(root: string): ServerAddress | undefined {
  try {
    const a = JSON.parse(readFileSync(path.join(root, STATE_DIR, FILE), 'utf8')) as ServerAddress;
    process.kill(a.pid, 0);
    return a;
  } catch {
    return undefined;
  }
}
