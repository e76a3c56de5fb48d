import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/agent-hub.js', import.meta.url));

export interface Daemon {
  proc: ChildProcess;
  url: string;
  /** Every log line so far, parsed. */
  logs: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
  api<T = unknown>(path: string, init?: RequestInit): Promise<{ status: number; body: T }>;
}

/** Starts `agent-hub start` as a real process on a free port and waits until it listens. */
export async function startDaemon(repo: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<Daemon> {
  const proc = spawn(process.execPath, [BIN, 'start', '--repo', repo, '--port', '0', ...args], {
    env: { ...process.env, ...env, AGENT_HUB_LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  onTestFinished(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    proc.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === 'agent-hub started') resolve(String(entry.url).replace(/\/$/, ''));
        } catch {
          // not a log line
        }
      }
    });
    void exited.then((code) => reject(new Error(`the daemon exited (${code}) before listening: ${stderr}`)));
    setTimeout(() => reject(new Error(`the daemon did not start in time: ${stderr}`)), 15_000);
  });
  const api = async <T>(path: string, init?: RequestInit) => {
    // A POST is JSON, as curl --json or a script sends it (the hub refuses any other body type).
    const headers = new Headers(init?.headers);
    if (init?.method === 'POST' && !headers.has('content-type')) headers.set('content-type', 'application/json');
    const res = await fetch(`${url}${path}`, { ...init, headers });
    const text = await res.text();
    return { status: res.status, body: (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
  };
  return { proc, url, logs, exited, api };
}
