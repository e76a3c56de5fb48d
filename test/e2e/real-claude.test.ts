import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { answersTool, startMessagesApi, type MessagesApi } from '../helpers/messages-api.js';
import { realClaude, realClaudeEnv } from '../helpers/real-claude.js';
import { testdir } from '../helpers/repo.js';

// The real Claude Code CLI against a loopback stand-in of the Messages API: what the fake
// cannot tell us (real flags, real permission handling, the real result JSON).
const claude = realClaude();
let api: MessagesApi | null = null;
afterEach(async () => { await api?.close(); api = null; });

/** A directory holding `claude` (the real one) for PATH, and an environment that reaches the stand-in only. */
function withRealClaude(url: string): Record<string, string> {
  const dir = testdir();
  mkdirSync(path.join(dir, 'bin'));
  symlinkSync(claude as string, path.join(dir, 'bin', 'claude'));
  mkdirSync(path.join(dir, 'home'));
  return { ...realClaudeEnv(url, path.join(dir, 'home')), PATH: `${path.join(dir, 'bin')}:${process.env.PATH ?? ''}` };
}

describe.skipIf(!claude)('the real Claude Code CLI (scripts/install-real-claude.sh)', () => {
  it("init's hello connector succeeds when the model makes a tool call first", async () => {
    // The model reaches for a tool first (Bash, which hello does not offer), gets the CLI's answer, then answers.
    api = await startMessagesApi((req) => answersTool(req) ? { text: 'Cats are wonderful. Truly.' } : { tool: 'Bash', input: { command: 'ls', description: 'look around' } });
    const env = withRealClaude(api.url);
    const hub = path.join(testdir(), 'my-hub');
    expect((await cli(['init', hub], { env })).code).toBe(0);
    const r = await cli(['run', 'hello', '--input', 'topic=cats', '--json', '--repo', hub], { env });
    expect(r.stderr).toBe('');
    const run = JSON.parse(r.stdout) as { status: string; result: string; numTurns: number };
    expect(run.status, r.stdout).toBe('success');
    expect(run.result).toContain('Cats are wonderful');
    // The tool call really happened and the CLI answered it; our --disallowedTools reached
    // the real CLI (Bash was never offered to the model).
    expect(api.requests.some(answersTool)).toBe(true);
    expect(api.requests[0]?.tools?.map((t) => t.name)).not.toContain('Bash');
    expect(api.requests[0]?.tools?.map((t) => t.name)).toContain('Read');
  }, 120_000);

  it('a run whose model only ever calls tools ends as a clear max-turns failure', async () => {
    api = await startMessagesApi(() => ({ tool: 'Bash', input: { command: 'ls', description: 'look around' } }));
    const env = withRealClaude(api.url);
    const hub = path.join(testdir(), 'my-hub');
    expect((await cli(['init', hub], { env })).code).toBe(0);
    const r = await cli(['run', 'hello', '--repo', hub], { env });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/turn/i);
  }, 120_000);
});
