import { execa } from 'execa';

export interface SpawnOptions {
  command: string;
  args: string[];
  /** Written to stdin, which is then closed (Claude Code waits on an open stdin). */
  input: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL. */
  graceMs: number;
  /** stdout beyond this is dropped (and counted), so a runaway agent cannot fill memory. */
  maxOutputBytes: number;
  signal?: AbortSignal;
}

export interface SpawnResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  /** Bytes of stdout dropped over the limit. */
  droppedBytes: number;
  /** The last few KB of stderr, for error messages. */
  stderrTail: string;
  timedOut: boolean;
  cancelled: boolean;
  /** Set when the program could not be started at all (ENOENT, EACCES…). */
  spawnError?: { code: string; message: string };
  durationMs: number;
}

const STDERR_TAIL_BYTES = 8 * 1024;

/** Sends a signal to a whole process group; a group already gone is fine. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}

/** Stops a process group: `stop()` now, `release()` once its leader has been awaited. */
export interface GroupSupervisor {
  /** SIGTERM to the whole group, SIGKILL after the grace period. */
  stop(): void;
  /** Clears the timers and kills whatever is left in the group. */
  release(): void;
}

/**
 * Supervises a child started as the leader of its own process group (`detached: true`):
 * `stop()` reaches everything it started, and when the leader exits, whatever it left in
 * the group is killed too (releasing the pipes those processes hold open): no orphans.
 */
export function superviseGroup(child: { pid?: number | undefined; on(event: 'exit', listener: () => void): unknown }, graceMs: number): GroupSupervisor {
  let killTimer: NodeJS.Timeout | undefined;
  child.on('exit', () => killGroup(child.pid, 'SIGKILL'));
  return {
    stop() {
      killGroup(child.pid, 'SIGTERM');
      killTimer ??= setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
    },
    release() {
      clearTimeout(killTimer);
      killGroup(child.pid, 'SIGKILL');
    },
  };
}

/**
 * Runs an agent as the leader of its own process group, so a timeout or a cancel can
 * stop everything it started (SIGTERM to the group, SIGKILL after the grace period),
 * and whatever it left behind is killed when it exits: no orphans.
 */
export async function spawnAgent(o: SpawnOptions): Promise<SpawnResult> {
  const started = performance.now();
  const sub = execa(o.command, o.args, {
    input: o.input, cwd: o.cwd, env: o.env, extendEnv: false, detached: true, buffer: false, reject: false,
    stdout: 'pipe', stderr: 'pipe', stripFinalNewline: false,
  });
  const pid = sub.pid;
  const chunks: Buffer[] = [];
  let kept = 0;
  let droppedBytes = 0;
  sub.stdout?.on('data', (chunk: Buffer) => {
    const room = o.maxOutputBytes - kept;
    if (room >= chunk.length) {
      chunks.push(chunk);
      kept += chunk.length;
    } else {
      if (room > 0) chunks.push(chunk.subarray(0, room));
      kept += Math.max(room, 0);
      droppedBytes += chunk.length - Math.max(room, 0);
    }
  });
  let stderr = Buffer.alloc(0);
  sub.stderr?.on('data', (chunk: Buffer) => {
    stderr = Buffer.concat([stderr, chunk]);
    if (stderr.length > STDERR_TAIL_BYTES) stderr = stderr.subarray(stderr.length - STDERR_TAIL_BYTES);
  });

  let timedOut = false;
  let cancelled = false;
  const group = superviseGroup(sub, o.graceMs);
  const timer = setTimeout(() => {
    timedOut = true;
    group.stop();
  }, o.timeoutMs);
  const onAbort = () => {
    cancelled = true;
    group.stop();
  };
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });

  const result = await sub;
  clearTimeout(timer);
  o.signal?.removeEventListener('abort', onAbort);
  group.release();

  const failure = result as unknown as { code?: string; originalMessage?: string };
  const spawnError = pid === undefined || (failure.code && ['ENOENT', 'EACCES', 'ENOTDIR', 'EPERM'].includes(failure.code))
    ? { code: failure.code ?? 'ESPAWN', message: failure.originalMessage ?? result.message ?? 'could not start' }
    : undefined;
  return {
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    stdout: Buffer.concat(chunks).toString('utf8'),
    droppedBytes,
    stderrTail: stderr.toString('utf8'),
    timedOut,
    cancelled,
    ...(spawnError ? { spawnError } : {}),
    durationMs: performance.now() - started,
  };
}
