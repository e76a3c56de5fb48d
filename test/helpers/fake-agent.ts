import { mkdirSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testdir } from './repo.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** An environment with the fake `claude` first on PATH, logging its calls and live processes. */
export function fakeClaudeEnv(extra: Record<string, string> = {}) {
  const dir = testdir();
  const log = path.join(dir, 'calls.jsonl');
  const live = path.join(dir, 'live');
  mkdirSync(live);
  const env: NodeJS.ProcessEnv = {
    PATH: `${FIXTURES}:${process.env.PATH}`, HOME: process.env.HOME, CLAUDE_CODE_FAKE_LOG: log, CLAUDE_CODE_FAKE_LIVE: live, ...extra,
  };
  return {
    env,
    /** Every call the fake received: argv, cwd, prompt, environment. */
    calls: (): Array<{ argv: string[]; cwd: string; prompt: string; env: Record<string, string> }> =>
      existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [],
    /** Pids of fake processes (and their children) alive now. */
    livePids: (): number[] => readdirSync(live).filter((f) => /^\d+$/.test(f)).map(Number),
    liveDir: live,
  };
}

/** Polls until `check` passes or the time is up (then throws with the last failure). */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 5000, everyMs = 20): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}
