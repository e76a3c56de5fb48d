import { describe, expect, it, onTestFinished } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { cli } from '../helpers/cli.js';
import { testdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { running } from '../helpers/procs.js';
import { dbPath, openDb } from '../../src/registry/db.js';
import { reconcile } from '../../src/reconcile/reconcile.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
const BIN = fileURLToPath(new URL('../../bin/agent-hub.js', import.meta.url));

describe('agent-hub run, history, show', () => {
  it('--dry-run prints the exact argv and prompt, spawns nothing and records nothing', async () => {
    const root = testdir({
      'mcp.json': '{"mcpServers":{}}',
      'connectors/full.yaml': yaml({
        inputs: { repo: { type: 'string', default: 'acme/x' } },
        prompt: 'Review {{inputs.repo}}',
        agent: {
          model: 'claude-sonnet-4-5', maxTurns: 4, allowedTools: ['Bash(git log:*)', 'Read'], disallowedTools: ['Edit'],
          permissionMode: 'dontAsk', appendSystemPrompt: 'Be terse.', mcpConfig: 'mcp.json', addDirs: ['docs'], args: ['--fallback-model', 'claude-haiku-4-5'],
          env: { GH_TOKEN: '${DRY_RUN_SECRET}' },
        },
        budget: { maxCostUsdPerRun: 0.25 },
      }),
    });
    const fake = fakeClaudeEnv();
    const r = await cli(['run', 'full', '--repo', root, '--dry-run', '--json', '--input', 'repo=acme/y'], { env: { ...fake.env, DRY_RUN_SECRET: 'hunter2-very-secret' } });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.argv).toEqual([
      'claude', '-p', '--output-format', 'stream-json', '--verbose', '--model', 'claude-sonnet-4-5', '--max-turns', '4',
      '--allowedTools', 'Bash(git log:*)', 'Read', '--disallowedTools', 'Edit', '--permission-mode', 'dontAsk',
      '--append-system-prompt', 'Be terse.', '--mcp-config', path.join(root, 'mcp.json'), '--add-dir', path.join(root, 'docs'),
      '--max-budget-usd', '0.25', '--fallback-model', 'claude-haiku-4-5',
    ]);
    expect(out.prompt).toBe('Review acme/y');
    expect(fake.calls()).toEqual([]);
    const text = await cli(['run', 'full', '--repo', root, '--dry-run'], { env: fake.env });
    expect(text.stdout).toContain("claude -p --output-format stream-json --verbose --model claude-sonnet-4-5 --max-turns 4 --allowedTools 'Bash(git log:*)' Read");
    expect(JSON.parse((await cli(['history', '--repo', root, '--json'])).stdout)).toEqual([]);
  });

  it('--dry-run says where the agent would run, for how long, the env names it gets, and a ${NAME} this environment lacks (the real run would fail)', async () => {
    const root = testdir({ 'connectors/a.yaml': yaml({ prompt: 'x', agent: { timeout: '2m', env: { GH_TOKEN: '${GH_TOKEN}', MODE: 'fast' } } }) });
    const fake = fakeClaudeEnv();
    const text = await cli(['run', 'a', '--repo', root, '--dry-run'], { env: fake.env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('# cwd: a new temporary directory; timeout: 2m\n# env: GH_TOKEN, MODE (values not shown)\n');
    expect(text.stderr).toContain('warning: agent.env refers to ${GH_TOKEN}, not set in this environment: a run here would fail (spawn-error)');
    const json = JSON.parse((await cli(['run', 'a', '--repo', root, '--dry-run', '--json'], { env: fake.env })).stdout) as { env: string[]; missing: string[] };
    expect(json).toMatchObject({ env: ['GH_TOKEN', 'MODE'], missing: ['GH_TOKEN'] });
    const set = await cli(['run', 'a', '--repo', root, '--dry-run'], { env: { ...fake.env, GH_TOKEN: 'ghp_secretvalue' } });
    expect(set.stderr).not.toContain('warning');
    expect(set.stdout).not.toContain('ghp_secretvalue');
  });

  it('a stored connector of an agent type this agent-hub does not know: --dry-run says so, runs nothing', async () => {
    const root = testdir({ 'connectors/a.yaml': yaml({ prompt: 'x' }) });
    const db = openDb(dbPath(root));
    await reconcile(root, db);
    // As another version of agent-hub could have left it.
    const row = db.prepare("SELECT spec FROM connectors WHERE id = 'a'").get() as { spec: string };
    db.prepare("UPDATE connectors SET spec = ? WHERE id = 'a'").run(row.spec.replace('"type":"claude"', '"type":"codex"'));
    db.close();
    const fake = fakeClaudeEnv();
    const r = await cli(['run', 'a', '--repo', root, '--dry-run'], { env: fake.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('agent type "codex" is not one this agent-hub runs (it has: claude, command)');
    expect(r.stdout).toBe('');
    expect(fake.calls()).toEqual([]);
  });

  it('runs in the foreground, prints the result, and history/show report it', async () => {
    const root = testdir({ 'connectors/hello.yaml': yaml({ inputs: { who: { type: 'string', default: 'world' } }, prompt: 'Hello {{inputs.who}}' }) });
    const fake = fakeClaudeEnv();
    const ok = await cli(['run', 'hello', '--repo', root, '--input', 'who=team'], { env: fake.env });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^run \d{8}-\d{6}-[0-9a-f]{8}  hello  success/);
    expect(ok.stdout).toContain('Done: Hello team');
    expect(ok.stdout).toContain('cost $0.0012');

    writeFileSync(path.join(root, 'connectors/hello.yaml'), yaml({ prompt: 'x\n@fake is_error Invalid API key' }));
    const bad = await cli(['run', 'hello', '--repo', root], { env: fake.env });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('failed (agent-error)');
    expect(bad.stdout).toContain('Invalid API key');

    const history = JSON.parse((await cli(['history', 'hello', '--repo', root, '--json'])).stdout);
    expect(history.map((e: { status: string }) => e.status)).toEqual(['failed', 'success']);
    expect((await cli(['history', '--repo', root, '--status', 'failed', '--json'])).stdout).toContain('Invalid API key');
    const table = await cli(['history', '--repo', root, '--limit', '1']);
    expect(table.stdout.trim().split('\n')).toHaveLength(2);
    expect(table.stdout).toMatch(/hello\s+failed\s+manual/);

    const show = await cli(['show', history[1].id, '--repo', root]);
    expect(show.stdout).toContain('prompt\nHello team');
    expect(show.stdout).toContain('inputs {"who":"team"}');
    expect((await cli(['show', 'nope', '--repo', root])).stderr).toContain('no run "nope"');
  });

  it('bad inputs exit 2; an unknown connector exits 1; a broken file runs its last good version', async () => {
    const root = testdir({ 'connectors/p.yaml': yaml({ inputs: { n: { type: 'integer', required: true } }, prompt: 'n={{inputs.n}}' }) });
    const fake = fakeClaudeEnv();
    const missing = await cli(['run', 'p', '--repo', root], { env: fake.env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('input "n" is required');
    expect((await cli(['run', 'zzz', '--repo', root], { env: fake.env })).code).toBe(1);
    expect((await cli(['run', 'p', '--repo', root, '--input', 'n=3'], { env: fake.env })).stdout).toContain('Done: n=3');
    writeFileSync(path.join(root, 'connectors/p.yaml'), 'prompt: [broken\n');
    const broken = await cli(['run', 'p', '--repo', root, '--input', 'n=4'], { env: fake.env });
    expect(broken.code).toBe(0);
    expect(broken.stderr).toContain('connectors/p.yaml is invalid; running the last good version');
    expect(broken.stdout).toContain('Done: n=4');
    expect(existsSync(path.join(root, '.agent-hub/hub.db'))).toBe(true);
  });

  it('Ctrl-C cancels the run; a second Ctrl-C kills an agent that ignores SIGTERM at once, records the run interrupted and exits 130', async () => {
    // The agent ignores SIGTERM (and so does its sleep, which inherits that): a cancel waits the kill grace for it.
    const root = testdir({ 'connectors/stubborn.yaml': yaml({ prompt: 'x', agent: { type: 'command', command: ['sh', '-c', 'trap "" TERM; sleep 30'] } }) });
    const proc = spawn(process.execPath, [BIN, 'run', 'stubborn', '--repo', root], { env: { ...process.env, NO_COLOR: '1' }, stdio: 'ignore' });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    onTestFinished(() => void proc.kill('SIGKILL'));
    const row = () => {
      if (!existsSync(dbPath(root))) return undefined;
      const db = openDb(dbPath(root));
      try {
        return db.prepare('SELECT status, error_kind AS errorKind, agent_process AS agent FROM executions').get() as { status: string; errorKind: string | null; agent: string | null } | undefined;
      } finally {
        db.close();
      }
    };
    await eventually(() => expect(row()?.agent).toBeTruthy(), 10_000);
    const pid = (JSON.parse(row()?.agent as string) as { pid: number }).pid;
    proc.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    expect(running(pid)).toBe(true); // still in its grace period
    proc.kill('SIGINT');
    expect(await exited).toEqual({ code: 130, signal: null });
    expect(row()).toMatchObject({ status: 'failed', errorKind: 'interrupted' });
    await eventually(() => expect(running(pid)).toBe(false), 2000);
  }, 30_000);
});
