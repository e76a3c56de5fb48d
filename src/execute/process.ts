import { spawn, type ChildProcess } from 'node:child_process';
import type { ProcessResult } from '../agents/types.js';
import { withoutStack } from '../os/no-stack.js';
import { RunCgroup } from './cgroup.js';
import { identify, ownIdentity, type ProcessIdentity } from './procfs.js';
import { ProcessTree, RUN_ID_VAR } from './tree.js';

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
  /** Put in the agent's environment (AGENT_HUB_RUN_ID): how its descendants are found wherever they went. */
  runId: string;
  /** Called once the agent runs, with what finds it again after a crash of the hub. */
  onSpawn?: (p: AgentProcess) => void;
  /** Told every piece of output as it arrives (a transcript, live logs), before any limit. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** False when onStdout keeps what matters (a stream of events): stdout is then not collected. */
  collectStdout?: boolean;
}

/** What finds a running agent again, recorded on its run: at the next start after a crash, it is stopped. */
export interface AgentProcess {
  /** The agent's pid, which is also its process group's id. */
  pid: number;
  /** The agent's identity (null without /proc), so that a reused pid is never signalled. */
  process: ProcessIdentity | null;
  /** The agent-hub process that started it: while that one runs, the run is its own. */
  hub: ProcessIdentity | null;
  /** The run's own cgroup, where the system allows one. */
  cgroup: string | null;
}

/** A finished agent process: what its agent type reads, and how long it took. */
export interface SpawnResult extends ProcessResult {
  durationMs: number;
}

const STDERR_TAIL_BYTES = 8 * 1024;

/** How often the agent's process tree is looked at while it runs (Linux), to know its descendants. */
const WATCH_EVERY_MS = 1000;
/** After the final SIGKILL: time for the kernel to end the processes and close their pipes. */
const KILL_SETTLE_MS = 250;

/**
 * Runs an agent as the leader of its own process group. It ends, and the result comes
 * back, when the leader has exited and its pipes are closed, and never later than the
 * deadline (timeout or cancel) plus the grace period, whatever the agent's descendants do:
 * - at the deadline, SIGTERM to the group and to every descendant that left it (see
 *   ProcessTree); SIGKILL to all of them after the grace period, the pipes destroyed and
 *   the result returned then, even if something still holds them;
 * - when the leader exits, whatever it left behind is killed at once, so the pipes close;
 *   a holder that could not be found is cut off after the grace period.
 */
export function spawnAgent(o: SpawnOptions): Promise<SpawnResult> {
  const started = performance.now();
  let child: ChildProcess;
  let cgroup: RunCgroup | null = null;
  const start = () => spawn(o.command, o.args, {
    cwd: o.cwd, env: { ...o.env, [RUN_ID_VAR]: o.runId }, detached: true, stdio: ['pipe', 'pipe', 'pipe'],
  });
  try {
    const inside = RunCgroup.spawnInside(o.runId, start);
    cgroup = inside?.cgroup ?? null;
    child = inside?.started ?? start();
  } catch (err) {
    // Arguments Node refuses outright (a NUL byte…).
    const e = err as NodeJS.ErrnoException;
    return Promise.resolve({
      exitCode: null, signal: null, stdout: '', droppedBytes: 0, stderrTail: '', timedOut: false, cancelled: false,
      spawnError: { code: e.code ?? 'ESPAWN', message: e.message }, durationMs: performance.now() - started,
    });
  }
  // The prompt first, while the agent surely runs: one that exits at once without reading
  // it (a command agent) then rarely makes the write fail (EPIPE, not our failure).
  child.stdin?.on('error', () => undefined);
  withoutStack(() => child.stdin?.end(o.input));
  const { pid } = child;
  const tree = new ProcessTree(pid, o.runId, cgroup);
  if (pid !== undefined) o.onSpawn?.({ pid, process: identify(pid), hub: ownIdentity(), cgroup: cgroup?.dir ?? null });

  const chunks: Buffer[] = [];
  let kept = 0;
  let droppedBytes = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    o.onStdout?.(chunk);
    if (o.collectStdout === false) return;
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
  child.stderr?.on('data', (chunk: Buffer) => {
    o.onStderr?.(chunk);
    stderr = Buffer.concat([stderr, chunk]);
    if (stderr.length > STDERR_TAIL_BYTES) stderr = stderr.subarray(stderr.length - STDERR_TAIL_BYTES);
  });

  return new Promise<SpawnResult>((resolve) => {
    let timedOut = false;
    let cancelled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnError: SpawnResult['spawnError'];
    let open = 2; // stdout and stderr
    /** The leader exited and what it left behind has been signalled (see ProcessTree.killLeftBehind). */
    let swept = false;
    let done = false;
    let deadline: NodeJS.Timeout | undefined;
    /** Set once the end is certain: the deadline plus the grace, or the leader's exit plus the grace. */
    let hardStop: NodeJS.Timeout | undefined;
    const watcher = setInterval(() => pid !== undefined && tree.watch(pid), WATCH_EVERY_MS);
    watcher.unref();

    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearTimeout(hardStop);
      clearInterval(watcher);
      o.signal?.removeEventListener('abort', onAbort);
      // Whatever still holds the pipes is no longer waited for.
      child.stdin?.destroy();
      child.stdout?.destroy();
      child.stderr?.destroy();
      cgroup?.remove();
      resolve({
        exitCode: exit?.code ?? null,
        signal: exit ? exit.signal : pid !== undefined && !spawnError ? 'SIGKILL' : null,
        stdout: Buffer.concat(chunks).toString('utf8'),
        droppedBytes,
        stderrTail: stderr.toString('utf8'),
        timedOut,
        cancelled,
        ...(spawnError ? { spawnError } : {}),
        durationMs: performance.now() - started,
      });
    };
    const settled = () => {
      if (exit && swept && open === 0) finish();
    };
    const stop = () => {
      if (exit) return;
      tree.signal('SIGTERM');
      hardStop ??= setTimeout(() => {
        tree.signal('SIGKILL');
        // The deadline plus the grace: the run ends now, once the kernel has taken the
        // processes down (a moment), not when whatever still holds the pipes lets go.
        hardStop = setTimeout(finish, KILL_SETTLE_MS);
      }, o.graceMs);
    };
    const onAbort = () => {
      cancelled = true;
      stop();
    };

    child.on('error', (err: NodeJS.ErrnoException) => {
      // Errors after the start (a failed kill) change nothing; before it, the program never ran.
      if (pid !== undefined) return;
      spawnError = { code: err.code ?? 'ESPAWN', message: err.message };
      finish();
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('close', () => {
        open--;
        settled();
      });
    }
    child.on('exit', (code, signal) => {
      if (done) return;
      exit = { code, signal };
      clearTimeout(deadline);
      // What the agent left behind goes with it, so the pipes close; a holder not found is cut off after the grace.
      hardStop ??= setTimeout(finish, o.graceMs);
      // Should the sweep fail, the run still ends: nothing is left waiting for it.
      void tree.killLeftBehind().catch(() => undefined).then(() => {
        swept = true;
        settled();
      });
    });

    deadline = setTimeout(() => {
      timedOut = true;
      stop();
    }, o.timeoutMs);
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
