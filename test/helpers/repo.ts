import { mkdtempSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { onTestFinished } from 'vitest';

export type Files = Record<string, string | Uint8Array>;

/** A temporary directory holding `files`, removed when the test finishes. */
export function testdir(files: Files = {}): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'agent-hub-test-')));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Files): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
}

/** Runs git with a fixed identity and no background work, like a clean CI machine. */
export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', '-c', 'gc.auto=0', ...args], {
    cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** A temporary git repository with `files` committed (unless `commit: false`). */
export function gitdir(files: Files = {}, opts: { commit?: boolean } = {}): string {
  const dir = testdir(files);
  git(dir, 'init', '--quiet', '--initial-branch=main');
  if (opts.commit !== false && Object.keys(files).length) {
    git(dir, 'add', '-A');
    git(dir, 'commit', '--quiet', '-m', 'initial');
  }
  return dir;
}

/** A minimal valid connector, with fields to override. */
export function connector(fields: Record<string, unknown> = {}): string {
  const base: Record<string, unknown> = { prompt: 'Say hello.', ...fields };
  return Object.entries(base).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n') + '\n';
}
