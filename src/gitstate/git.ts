import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { execa } from 'execa';
import { superviseGroup } from '../os/process-group.js';
import { UserError } from '../core/errors.js';

/**
 * The one way agent-hub runs git: every git command in src/ goes through this module.
 * execa rather than simple-git, because the hub's commands need what simple-git does not
 * give: stdin (plumbing), a private index (GIT_INDEX_FILE), bytes (cat-file), and a
 * deadline that stops git's whole process group (ssh, remote helpers).
 */

/** A git command that failed: the command, its exit code and what it printed. */
export class GitError extends UserError {
  constructor(readonly args: readonly string[], readonly exitCode: number, readonly stderr: string) {
    super(`git ${args.join(' ')} failed (exit ${exitCode}): ${stderr.trim().split('\n').slice(-5).join('\n') || 'no output'}`);
  }
}

export interface GitOptions {
  env?: Record<string, string>;
  input?: string;
  /** Exit codes that are answers, not failures (e.g. 1 for `diff --quiet`). */
  ok?: number[];
  /** Stop the command after this long; 0 or absent: no limit (network commands: a hung connection must not hold the git writer). */
  timeoutMs?: number;
}

/** Runs git in `cwd`. Never prompts, never opens an editor. */
export async function git(cwd: string, args: string[], o: GitOptions = {}): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const sub = execa('git', args, {
    cwd, reject: false, input: o.input ?? '', stripFinalNewline: false,
    env: { GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true', GIT_OPTIONAL_LOCKS: '0', ...o.env },
    // With a deadline, git leads its own process group: ssh or a remote helper it started
    // goes with it, and so do the pipes they hold open.
    detached: Boolean(o.timeoutMs),
  });
  let timedOut = false;
  const group = o.timeoutMs ? superviseGroup(sub, 2000) : undefined; // git removes its lock files on SIGTERM
  const deadline = group && setTimeout(() => {
    timedOut = true;
    group.stop();
  }, o.timeoutMs);
  const r = await sub;
  clearTimeout(deadline);
  group?.release();
  if (timedOut) throw new GitError(args, -1, `timed out after ${o.timeoutMs} ms (remote.timeout) and was stopped: is the remote reachable?`);
  const code = r.exitCode ?? -1;
  if (code !== 0 && !(o.ok ?? []).includes(code)) throw new GitError(args, code, `${r.stderr}${r.stdout ? `\n${r.stdout}` : ''}`);
  return { stdout: r.stdout as string, stderr: r.stderr as string, exitCode: code };
}

/** Like git(), with stdout as bytes: for `cat-file --batch`, whose sizes count bytes. */
export async function gitBytes(cwd: string, args: string[], input: string): Promise<Buffer> {
  const r = await execa('git', args, { cwd, reject: false, input, encoding: 'buffer', env: { GIT_TERMINAL_PROMPT: '0' } });
  if (r.exitCode !== 0) throw new GitError(args, r.exitCode ?? -1, Buffer.from(r.stderr).toString('utf8'));
  return Buffer.from(r.stdout);
}

/** Objects read by `git cat-file --batch`, in the order asked; a missing one is undefined. */
export async function catFiles(cwd: string, names: readonly string[]): Promise<Array<{ type: string; body: Buffer } | undefined>> {
  if (!names.length) return [];
  const out = await gitBytes(cwd, ['cat-file', '--batch'], `${names.join('\n')}\n`);
  const objects: Array<{ type: string; body: Buffer } | undefined> = [];
  let pos = 0;
  for (let i = 0; i < names.length; i++) {
    // "<sha> <type> <size>\n<bytes>\n", or "<name> missing\n".
    const headerEnd = out.indexOf(10, pos);
    const header = out.subarray(pos, headerEnd).toString('utf8').split(' ');
    if (header.length !== 3) {
      objects.push(undefined);
      pos = headerEnd + 1;
      continue;
    }
    const size = Number(header[2]);
    objects.push({ type: header[1] as string, body: out.subarray(headerEnd + 1, headerEnd + 1 + size) });
    pos = headerEnd + 1 + size + 1;
  }
  return objects;
}

/** Where a repository keeps what: see repoPaths(). */
export interface RepoPaths {
  prefix: string;
  gitDir: string;
  commonDir: string;
  top: string;
  hooksDir: string;
}

/**
 * The repository-relative prefix of `cwd` (`hub/` when the hub is a subdirectory), the git
 * dir, the top of the work tree and the hooks directory (core.hooksPath respected).
 */
export async function repoPaths(cwd: string): Promise<RepoPaths> {
  const out = (await git(cwd, ['rev-parse', '--show-prefix', '--absolute-git-dir', '--show-toplevel', '--git-path', 'hooks', '--git-common-dir'])).stdout.split('\n');
  const abs = (p: string | undefined) => (path.isAbsolute((p ?? '').trim()) ? (p ?? '').trim() : path.join(cwd, (p ?? '').trim()));
  return { prefix: (out[0] ?? '').trim(), gitDir: (out[1] ?? '').trim(), top: (out[2] ?? '').trim(), hooksDir: abs(out[3]), commonDir: abs(out[4]) };
}

/** Whether `dir` is inside a git work tree. Synchronous: the hub decides this while it is built. */
export function insideWorkTree(dir: string): boolean {
  try {
    execFileSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: dir, stdio: 'ignore', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    return true;
  } catch {
    return false;
  }
}
