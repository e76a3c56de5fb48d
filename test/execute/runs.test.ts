import { describe, expect, it, onTestFinished } from 'vitest';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Hub } from '../../src/hub.js';
import { hubWith, runOnce } from '../helpers/hub.js';
import { listExecutions, getExecution } from '../../src/registry/executions.js';
import { testdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv, FIXTURES } from '../helpers/fake-agent.js';
import { running } from '../helpers/procs.js';


const yaml = (o: Record<string, unknown>) => JSON.stringify(o);


describe('claude runs', () => {
  it('records a successful run: result, cost, usage, session, turns, prompt and argv', async () => {
    const { hub, fake } = await hubWith({
      'connectors/digest.yaml': yaml({ inputs: { topic: { type: 'string', default: 'git' } }, prompt: 'Digest about {{inputs.topic}}', agent: { model: 'claude-haiku-4-5', maxTurns: 3 } }),
    });
    const e = await runOnce(hub, 'digest', { topic: 'tests' });
    expect(e).toMatchObject({
      status: 'success', trigger: 'api', attempt: 1, result: 'Done: Digest about tests', costUsd: 0.0012, numTurns: 1,
      renderedPrompt: 'Digest about tests', inputs: { topic: 'tests' }, errorKind: null, exitCode: 0,
    });
    expect(e.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(e.usage).toMatchObject({ usage: { input_tokens: 2400, output_tokens: 52 }, modelUsage: { 'claude-haiku-4-5': { costUSD: 0.0012 } } });
    expect(e.argv).toEqual(['claude', '-p', '--output-format', 'stream-json', '--verbose', '--model', 'claude-haiku-4-5', '--max-turns', '3']);
    expect(fake.calls()[0]?.prompt).toBe('Digest about tests');
  });

  it('an API error (exit 1, is_error with subtype success) is a failed run with the reason', async () => {
    const { hub } = await hubWith({ 'connectors/a.yaml': yaml({ prompt: 'x\n@fake is_error Not logged in · Please run /login' }) });
    const e = await runOnce(hub, 'a');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'agent-error', exitCode: 1, costUsd: 0.0012 });
    expect(e.error).toMatch(/^claude failed \(exit 1\): Not logged in · Please run \/login\n/);
  });

  it('output that is not JSON is a failed run with the head of the output and stderr', async () => {
    const { hub } = await hubWith({ 'connectors/a.yaml': yaml({ prompt: 'x\n@fake garbage\n@fake exit 2\n@fake stderr boom: config broken' }) });
    const e = await runOnce(hub, 'a');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'agent-error', exitCode: 2 });
    expect(e.error).toContain('printed output that is not its JSON result');
    expect(e.error).toContain('<html>not json</html>');
    expect(e.error).toContain('stderr: boom: config broken');
  });

  it('a missing claude is a spawn error that says how to install it or point at it', async () => {
    const root = testdir({ 'connectors/a.yaml': yaml({ prompt: 'x' }) });
    const hub = new Hub({ repo: root, env: { PATH: '/nonexistent', HOME: '/tmp' } });
    onTestFinished(() => hub.stop(0));
    await hub.start();
    const e = await runOnce(hub, 'a');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'spawn-error' });
    expect(e.error).toContain('npm install -g @anthropic-ai/claude-code');
    expect(e.error).toContain('claude.command in hub.yaml');
  });

  it('records permission denials of a run that still succeeded', async () => {
    const { hub } = await hubWith({ 'connectors/a.yaml': yaml({ prompt: 'x\n@fake deny Bash' }) });
    const e = await runOnce(hub, 'a');
    expect(e.status).toBe('success');
    expect(e.permissionDenials).toEqual([{ tool_name: 'Bash', tool_use_id: 'toolu_01', tool_input: { command: 'rm -rf /' } }]);
  });

  it('passes --max-budget-usd and reports a budget stop by the CLI as a failure', async () => {
    const { hub, fake } = await hubWith({ 'connectors/a.yaml': yaml({ prompt: 'x\n@fake cost 0.9', budget: { maxCostUsdPerRun: 0.5 } }) });
    const e = await runOnce(hub, 'a');
    expect(fake.calls()[0]?.argv).toEqual(expect.arrayContaining(['--max-budget-usd', '0.5']));
    expect(e).toMatchObject({ status: 'failed', errorKind: 'agent-error', costUsd: 0.9 });
    expect(e.error).toContain('error_max_budget_usd');
  });
});

describe('timeouts and process trees', () => {
  it('a timeout stops the whole process group, grandchildren included, even when SIGTERM is ignored', async () => {
    const { hub, fake } = await hubWith({ 'connectors/slow.yaml': yaml({ prompt: 'x\n@fake child 30\n@fake ignore-term\n@fake sleep 30', agent: { timeout: '700ms' } }) });
    const r = hub.run('slow');
    await eventually(() => expect(readdirSync(fake.liveDir).some((f) => f.startsWith('child-of-'))).toBe(true));
    const grandchild = Number(readFileSync(path.join(fake.liveDir, readdirSync(fake.liveDir).find((f) => f.startsWith('child-of-')) as string), 'utf8'));
    const e = await hub.executor.waitFinal((r as { id: string }).id);
    expect(e).toMatchObject({ status: 'failed', errorKind: 'timeout' });
    expect(e.error).toContain('timed out after 700ms');
    await eventually(() => expect(running(grandchild)).toBe(false), 2000);
    for (const pid of fake.livePids()) expect(running(pid)).toBe(false);
  });

  it('a child left running after the agent exits is cleaned up too', async () => {
    const { hub, fake } = await hubWith({ 'connectors/leaky.yaml': yaml({ prompt: 'x\n@fake child 30' }) });
    const e = await runOnce(hub, 'leaky');
    expect(e.status).toBe('success');
    const marker = readdirSync(fake.liveDir).find((f) => f.startsWith('child-of-')) as string;
    const grandchild = Number(readFileSync(path.join(fake.liveDir, marker), 'utf8'));
    await eventually(() => expect(running(grandchild)).toBe(false), 2000);
  });
});

describe('command agents, output, working directory', () => {
  it('runs any argv with the prompt on stdin and stdout as the result', async () => {
    const { hub } = await hubWith({ 'connectors/cmd.yaml': yaml({ prompt: 'hello {{connector.id}}', agent: { type: 'command', command: ['sh', '-c', 'tr a-z A-Z; echo "[$(pwd)]" >&2'] } }) });
    const e = await runOnce(hub, 'cmd');
    expect(e).toMatchObject({ status: 'success', result: 'HELLO CMD', costUsd: null });
  });

  it('a failing command is an agent error with stderr', async () => {
    const { hub } = await hubWith({ 'connectors/cmd.yaml': yaml({ prompt: 'x', agent: { type: 'command', command: ['sh', '-c', 'echo nope >&2; exit 3'] } }) });
    const e = await runOnce(hub, 'cmd');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'agent-error', exitCode: 3 });
    expect(e.error).toBe('sh exited with code 3\nstderr: nope');
  });

  it('truncates output over the limit with a marker', async () => {
    const { hub } = await hubWith({
      'hub.yaml': 'defaults:\n  maxOutputBytes: 4096\n',
      'connectors/big.yaml': yaml({ prompt: 'x', agent: { type: 'command', command: ['sh', '-c', 'head -c 200000 /dev/zero | tr "\\0" a'] } }),
    });
    const e = await runOnce(hub, 'big');
    expect(e.status).toBe('success');
    expect(e.outputTruncated).toBe(true);
    expect(e.result?.length).toBeLessThan(4300);
    expect(e.result).toContain('[output truncated: 195904 more bytes dropped, limit 4096]');
  });

  it('json output is checked against the schema; a mismatch is invalid-output with the errors stored', async () => {
    const schema = { type: 'object', required: ['count'], properties: { count: { type: 'integer' } } };
    const { hub, root } = await hubWith({
      'connectors/good.yaml': yaml({ prompt: 'x\n@fake result {"count": 3}', output: { format: 'json', schema, saveTo: 'reports/{{connector.id}}.json' } }),
      // A command agent has no --json-schema: the hub's own check is what catches it.
      'connectors/bad.yaml': yaml({ prompt: 'x', agent: { type: 'command', command: ['echo', '{"count": "three"}'] }, output: { format: 'json', schema } }),
      'connectors/fenced.yaml': yaml({ prompt: 'x', agent: { type: 'command', command: ['printf', '```json\n{"count": 3}\n```\n'] }, output: { format: 'json', schema } }),
      'connectors/notjson.yaml': yaml({ prompt: 'x\n@fake result Sure! Here it is', output: { format: 'json' } }),
    });
    const good = await runOnce(hub, 'good');
    expect(good).toMatchObject({ status: 'success', result: '{\n  "count": 3\n}\n' });
    expect(readFileSync(path.join(root, 'reports/good.json'), 'utf8')).toBe('{\n  "count": 3\n}\n');
    const bad = await runOnce(hub, 'bad');
    expect(bad).toMatchObject({ status: 'failed', errorKind: 'invalid-output' });
    expect(bad.error).toBe('the result does not match output.schema: /count must be integer');
    expect(bad.validationErrors).toEqual([expect.objectContaining({ instancePath: '/count', keyword: 'type' })]);
    expect(await runOnce(hub, 'fenced')).toMatchObject({ status: 'success', result: '{\n  "count": 3\n}\n' });
    expect((await runOnce(hub, 'notjson')).error).toMatch(/^the result is not JSON/);
  });

  it('runs in a fresh temporary directory removed afterwards, or in agent.cwd inside the repo', async () => {
    const { hub, root } = await hubWith({
      'connectors/tmp.yaml': yaml({ prompt: 'x\n@fake cwd' }),
      'connectors/here.yaml': yaml({ prompt: 'x\n@fake cwd', agent: { cwd: 'work' } }),
      'work/.keep': '',
    });
    const tmp = await runOnce(hub, 'tmp');
    expect(tmp.result).toMatch(/agent-hub-run-/);
    expect(existsSync(tmp.result as string)).toBe(false);
    expect((await runOnce(hub, 'here')).result).toBe(path.join(root, 'work'));
  });
});

describe('environment and secrets', () => {
  it('passes HOME, PATH and ANTHROPIC_* through, resolves ${NAME}, and never stores a secret value', async () => {
    const { hub, root } = await hubWith({
      'connectors/s.yaml': yaml({ prompt: 'x\n@fake env GH_TOKEN', agent: { env: { GH_TOKEN: '${MY_GH_TOKEN}', PLAIN: 'literal-$$5' } } }),
    }, { MY_GH_TOKEN: 'ghp_supersecret_value_123', ANTHROPIC_API_KEY: 'sk-ant-secret-key-456', UNRELATED: 'not-passed' });
    const e = await runOnce(hub, 's');
    expect(e.status).toBe('success');
    expect(e.result).toBe('***');
    const seen = (await import('../helpers/fake-agent.js')); void seen;
    hub.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = readFileSync(path.join(root, '.agent-hub/hub.db')).toString('latin1');
    expect(bytes).not.toContain('ghp_supersecret_value_123');
    expect(bytes).not.toContain('sk-ant-secret-key-456');
  });

  it('the agent gets only the base environment, the Claude variables and what the connector lists', async () => {
    const { hub, fake } = await hubWith({
      'connectors/s.yaml': yaml({ prompt: 'x', agent: { env: { GREETING: 'hi ${WHO}', PRICE: 'costs $$5' } } }),
    }, { WHO: 'there', ANTHROPIC_API_KEY: 'sk-ant-123456', CLAUDE_CODE_MAX_RETRIES: '2', UNRELATED: 'no' });
    await runOnce(hub, 's');
    const env = fake.calls()[0]?.env ?? {};
    expect(env).toMatchObject({ GREETING: 'hi there', PRICE: 'costs $5', ANTHROPIC_API_KEY: 'sk-ant-123456', CLAUDE_CODE_MAX_RETRIES: '2' });
    expect(env.HOME).toBeDefined();
    expect(env.UNRELATED).toBeUndefined();
    expect(env.WHO).toBeUndefined();
  });

  it('a ${NAME} the hub does not have fails the run before spawning, naming the variable', async () => {
    const { hub, fake } = await hubWith({ 'connectors/s.yaml': yaml({ prompt: 'x', agent: { env: { T: '${NOT_SET_ANYWHERE}' } } }) });
    const e = await runOnce(hub, 's');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'spawn-error' });
    expect(e.error).toContain('${NOT_SET_ANYWHERE}');
    expect(fake.calls()).toEqual([]);
  });
});

describe('inputs', () => {
  it('a manual run may override inputs; bad ones are refused before anything is recorded', async () => {
    const { hub } = await hubWith({ 'connectors/p.yaml': yaml({ inputs: { n: { type: 'integer', default: 1 } }, prompt: 'n={{inputs.n}}' }) });
    expect((await runOnce(hub, 'p')).renderedPrompt).toBe('n=1');
    expect((await runOnce(hub, 'p', { n: 5 })).renderedPrompt).toBe('n=5');
    expect(() => hub.run('p', { n: 'five' })).toThrow(/input "n" must be integer/);
    expect(() => hub.run('nope')).toThrow(/no active connector "nope"/);
    expect(listExecutions(hub.db, { connectorId: 'p' })).toHaveLength(2);
  });
});

describe('stopping', () => {
  it('a stop mid-run cancels after the grace period and records the run', async () => {
    const { hub } = await hubWith({ 'connectors/slow.yaml': yaml({ prompt: 'x\n@fake sleep 30' }) });
    const r = hub.run('slow') as { id: string };
    await eventually(() => expect(getExecution(hub.db, r.id)?.status).toBe('running'));
    const db = hub.db;
    const stopped = hub.stop(200);
    const e = await hub.executor.wait(r.id);
    await stopped;
    expect(e).toMatchObject({ status: 'failed', errorKind: 'cancelled', error: 'cancelled: the hub stopped' });
    expect(db.open).toBe(false);
  });
});

describe('agent types', () => {
  it("runs claude from hub.yaml's claude.command when it is not on PATH", async () => {
    const claude = path.join(FIXTURES, 'claude');
    const root = testdir({ 'hub.yaml': `claude:\n  command: ${claude}\n`, 'connectors/a.yaml': yaml({ prompt: 'x' }) });
    const fake = fakeClaudeEnv();
    const hub = new Hub({ repo: root, env: { ...fake.env, PATH: '/usr/bin:/bin' } });
    onTestFinished(() => hub.stop(0));
    await hub.start();
    const e = await runOnce(hub, 'a');
    expect(e).toMatchObject({ status: 'success', argv: [claude, '-p', '--output-format', 'stream-json', '--verbose'] });
    expect(fake.calls()).toHaveLength(1);
  });

  it('a stored connector of an agent type this hub does not know fails its run with spawn-error and runs nothing', async () => {
    const { hub, fake } = await hubWith({ 'connectors/a.yaml': yaml({ prompt: 'x' }) });
    // As a newer agent-hub (or a hand edit) could have left it: the registry row names a type unknown here.
    const row = hub.db.prepare("SELECT spec FROM connectors WHERE id = 'a'").get() as { spec: string };
    const version = JSON.parse(row.spec) as { spec: { agent: { type: string } } };
    version.spec.agent.type = 'codex';
    hub.db.prepare("UPDATE connectors SET spec = ? WHERE id = 'a'").run(JSON.stringify(version));
    const e = await runOnce(hub, 'a');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'spawn-error' });
    expect(e.error).toContain('agent type "codex"');
    expect(e.error).toContain('claude, command');
    expect(fake.calls()).toEqual([]);
  });
});

describe('running as root', () => {
  it.runIf(process.getuid?.() === 0)('refuses bypassPermissions as root with a message that says what to do', async () => {
    const { hub, fake } = await hubWith({ 'connectors/b.yaml': yaml({ prompt: 'x', agent: { permissionMode: 'bypassPermissions' } }) });
    const e = await runOnce(hub, 'b');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'spawn-error' });
    expect(e.error).toContain('run the hub as its own user');
    expect(e.error).toContain('IS_SANDBOX=1');
    expect(fake.calls()).toEqual([]);
  });
});
