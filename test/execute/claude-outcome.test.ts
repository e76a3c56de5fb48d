import { describe, expect, it, onTestFinished } from 'vitest';
import path from 'node:path';
import { Hub } from '../../src/hub.js';
import { hubWith, runOnce } from '../helpers/hub.js';
import { testdir } from '../helpers/repo.js';
import { cli } from '../helpers/cli.js';
import { fakeClaudeEnv } from '../helpers/fake-agent.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

describe('a failed claude run reads as its outcome, with what to do', () => {
  // The fake prints exactly what Claude Code 2.1.197 prints for each (CLAUDE_CODE_FAKE_FAIL).
  it('"Not logged in": the message, once, and a hint for a headless hub; not Claude\'s "subtype: success"', async () => {
    const { hub } = await hubWith({ 'connectors/a.yaml': yaml({ prompt: 'x' }) }, { CLAUDE_CODE_FAKE_FAIL: 'not-logged-in' });
    const e = await runOnce(hub, 'a');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'agent-error', exitCode: 1, result: null });
    expect(e.error).toMatch(/^claude failed \(exit 1\): Not logged in · Please run \/login\nhint: .*headless.*set ANTHROPIC_API_KEY/);
    expect(e.error).not.toContain('success');
  });

  it.each([
    ['auth-refused', 'claude failed (exit 1): Failed to authenticate. API Error: 403 Request not allowed', /check ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN/],
    ['token-expired', 'claude failed (exit 1): Failed to authenticate. API Error: 401 OAuth token has expired.', /claude setup-token/],
    ['token-refused', 'claude failed (exit 1): Not logged in · Please run /login', /token in ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN was refused/],
    ['invalid-key', 'claude failed (exit 1): Invalid API key · Fix external API key', /check ANTHROPIC_API_KEY/],
    ['overloaded', 'claude failed (exit 1): API Error: 529 Overloaded.', /retry\.attempts/],
  ])('%s', async (kind, head, hint) => {
    const { hub } = await hubWith({ 'connectors/a.yaml': yaml({ prompt: 'x' }) }, { CLAUDE_CODE_FAKE_FAIL: kind });
    const e = await runOnce(hub, 'a');
    expect(e.error?.startsWith(head)).toBe(true);
    expect(e.error).toMatch(hint);
    expect(e.result).toBeNull();
  });

  it('a stop by the CLI names it and what to raise', async () => {
    const { hub } = await hubWith({ 'connectors/a.yaml': yaml({ prompt: 'x\n@fake turns 2', agent: { maxTurns: 1 } }) });
    const e = await runOnce(hub, 'a');
    expect(e.error).toBe('claude failed (exit 1, error_max_turns): Reached maximum number of turns (1)\nhint: the agent needed more turns than agent.maxTurns (1) allows (a tool call is a turn): raise it, or ask for less');
  });

  it('`agent-hub run` prints the error once and no result section', async () => {
    const root = testdir({ 'connectors/a.yaml': yaml({ prompt: 'x' }) });
    const r = await cli(['run', 'a', '--repo', root], { env: fakeClaudeEnv({ CLAUDE_CODE_FAKE_FAIL: 'not-logged-in' }).env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error\nclaude failed (exit 1): Not logged in · Please run /login\nhint: ');
    expect(r.stdout.match(/Not logged in/g)).toHaveLength(1);
    expect(r.stdout).not.toMatch(/^result$/m);
    expect(r.stdout).not.toContain('tokens'); // none were used
  });

  it('with claude.command set, a missing program is about that path, not about installing Claude Code', async () => {
    const missing = path.join(testdir(), 'bin/claude');
    const root = testdir({ 'hub.yaml': `claude:\n  command: ${missing}\n`, 'connectors/a.yaml': yaml({ prompt: 'x' }) });
    const hub = new Hub({ repo: root, env: { PATH: '/usr/bin:/bin', HOME: '/tmp' } });
    onTestFinished(() => hub.stop(0));
    await hub.start();
    const e = await runOnce(hub, 'a');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'spawn-error' });
    expect(e.error).toContain(`could not start ${missing}`);
    expect(e.error).toContain(`hint: claude.command in hub.yaml is "${missing}": no such program on this machine`);
    expect(e.error).not.toContain('npm install');
  });

  it('with claude.command set, a file that is not executable cannot be run, and the run says so', async () => {
    const dir = testdir({ 'bin/claude': '#!/bin/sh\necho never\n' });
    const file = path.join(dir, 'bin/claude');
    const root = testdir({ 'hub.yaml': `claude:\n  command: ${file}\n`, 'connectors/a.yaml': yaml({ prompt: 'x' }) });
    const hub = new Hub({ repo: root, env: { PATH: '/usr/bin:/bin', HOME: '/tmp' } });
    onTestFinished(() => hub.stop(0));
    await hub.start();
    const e = await runOnce(hub, 'a');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'spawn-error' });
    expect(e.error).toContain(`could not start ${file}: spawn ${file} EACCES`);
    expect(e.error).toContain(`hint: claude.command in hub.yaml is "${file}": it cannot be run on this machine`);
  });
});

describe('output.schema is passed to claude as --json-schema', () => {
  const schema = { type: 'object', required: ['count'], properties: { count: { type: 'integer' } } };

  it('its structured_output is the run\'s JSON result; the prompt need not ask for JSON', async () => {
    const { hub, fake } = await hubWith({ 'connectors/a.yaml': yaml({ prompt: 'Count the open issues.\n@fake structured {"count": 7}\n@fake result I counted them.', output: { format: 'json', schema } }) });
    const e = await runOnce(hub, 'a');
    expect(e).toMatchObject({ status: 'success', result: '{\n  "count": 7\n}\n', numTurns: 2 });
    expect(fake.calls()[0]?.argv).toEqual(['-p', '--output-format', 'stream-json', '--verbose', '--json-schema', JSON.stringify(schema)]);
  });

  it('a model that never meets the schema fails with the CLI\'s reason and a hint', async () => {
    const { hub } = await hubWith({ 'connectors/a.yaml': yaml({ prompt: 'x\n@fake structured {"count": "seven"}', output: { format: 'json', schema } }) });
    const e = await runOnce(hub, 'a');
    expect(e.error).toMatch(/^claude failed \(exit 1, error_max_structured_output_retries\): Failed to provide valid structured output after 5 attempts\nhint: .*output\.schema/);
  });

  it('a model that answered in prose, without structured output, is checked as before: not JSON', async () => {
    const { hub } = await hubWith({ 'connectors/a.yaml': yaml({ prompt: 'x\n@fake result Sure! Seven.', output: { format: 'json', schema } }) });
    const e = await runOnce(hub, 'a');
    expect(e).toMatchObject({ status: 'failed', errorKind: 'invalid-output', result: 'Sure! Seven.' });
  });

  it('format: json without a schema passes no --json-schema', async () => {
    const { hub, fake } = await hubWith({ 'connectors/a.yaml': yaml({ prompt: 'x\n@fake result {"a": 1}', output: { format: 'json' } }) });
    expect((await runOnce(hub, 'a')).status).toBe('success');
    expect(fake.calls()[0]?.argv).not.toContain('--json-schema');
  });
});
