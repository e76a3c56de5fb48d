import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { TranscriptReader } from '../../src/execute/transcript-reader.js';
import { Redactor } from '../../src/execute/redact.js';
import { claudeAgent } from '../../src/agents/claude/index.js';
import type { TranscriptEvent } from '../../src/agents/transcript.js';
import type { ConnectorSpec } from '../../src/core/types.js';
import { FIXTURES } from '../helpers/fake-agent.js';

describe('the real Claude Code 2.1.197 stream-json output', () => {
  it('not logged in (captured from the real CLI): init, the assistant text, a result with is_error that fails the run', () => {
    // `echo hi | HOME=<empty> claude -p --output-format stream-json --verbose`, exit 1.
    const stdout = readFileSync(`${FIXTURES}claude-2.1.197-not-logged-in.jsonl`);
    const events: TranscriptEvent[] = [];
    const reader = new TranscriptReader({
      parse: claudeAgent.streamSteps, maxItemBytes: 2048, maxOutputBytes: 1 << 20, redact: new Redactor([]), now: () => new Date(), emit: (e) => events.push(e),
    });
    reader.stdout(stdout);
    const kept = reader.finish();
    expect(events.map((e) => e.kind)).toEqual(['init', 'text', 'result']);
    expect(events[0]).toMatchObject({ kind: 'init', model: expect.stringMatching(/^claude-/), sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(events[1]).toMatchObject({ kind: 'text', text: 'Not logged in · Please run /login' });
    expect(events[2]).toMatchObject({ kind: 'result', subtype: 'success', isError: true, text: 'Not logged in · Please run /login', costUsd: 0 });
    const spec = { agent: { type: 'claude', timeout: '5m' } } as unknown as ConnectorSpec;
    const outcome = claudeAgent.interpret(spec, { ...kept, exitCode: 1, signal: null, stderrTail: '', timedOut: false, cancelled: false }, { settings: {} });
    expect(outcome).toMatchObject({ ok: false, errorKind: 'agent-error', costUsd: 0 });
    expect(outcome.error).toContain('Not logged in · Please run /login');
  });
});
