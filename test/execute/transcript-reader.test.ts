import { describe, expect, it } from 'vitest';
import { TranscriptReader } from '../../src/execute/transcript-reader.js';
import { Redactor } from '../../src/execute/redact.js';
import { streamSteps } from '../../src/agents/claude/stream.js';
import type { TranscriptEvent } from '../../src/agents/transcript.js';

function reader(o: { parse?: boolean; maxItemBytes?: number; maxOutputBytes?: number; secrets?: string[] } = {}) {
  const events: TranscriptEvent[] = [];
  const r = new TranscriptReader({
    parse: o.parse === false ? undefined : streamSteps, maxItemBytes: o.maxItemBytes ?? 100, maxOutputBytes: o.maxOutputBytes ?? 10_000,
    redact: new Redactor(o.secrets ?? []), now: () => new Date('2026-11-26T09:00:00Z'), emit: (e) => events.push(e),
  });
  return { r, events };
}

const line = (o: unknown) => `${JSON.stringify(o)}\n`;
const result = { type: 'result', subtype: 'success', is_error: false, result: 'Done', total_cost_usd: 0.01, usage: { input_tokens: 1, output_tokens: 2 }, num_turns: 1, permission_denials: [] };

describe('reading an agent\'s output as a transcript', () => {
  it('takes events split anywhere across chunks, and gives interpret the result line', () => {
    const { r, events } = reader();
    const text = line({ type: 'assistant', message: { content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'ls' } }] } }) + line(result);
    for (const byte of Buffer.from(text)) r.stdout(Buffer.from([byte]));
    const kept = r.finish();
    expect(events.map((e) => e.kind)).toEqual(['tool', 'result']);
    expect(JSON.parse(kept.stdout)).toMatchObject({ type: 'result', result: 'Done' });
    expect(kept.droppedBytes).toBe(0);
  });

  it('keeps lines that are not events for interpret (an error message), and shows them as output', () => {
    const { r, events } = reader();
    r.stdout(Buffer.from('Error: something broke\n'));
    expect(r.finish()).toEqual({ stdout: 'Error: something broke', droppedBytes: 0 });
    expect(events[0]).toMatchObject({ kind: 'output', stream: 'stdout', text: 'Error: something broke' });
  });

  it('leaves out an event line over the output limit, but reads the start of a result line over it', () => {
    const { r, events } = reader({ maxOutputBytes: 200 });
    r.stdout(Buffer.from(line({ type: 'assistant', message: { content: [{ type: 'text', text: 'y'.repeat(500) }] } })));
    r.stdout(Buffer.from(line({ ...result, result: 'z'.repeat(500) })));
    const kept = r.finish();
    expect(events[0]).toMatchObject({ kind: 'output', text: expect.stringMatching(/^\[an event of \d+ bytes, over the output limit/) });
    expect(kept.stdout).toHaveLength(200);
    expect(kept.stdout.startsWith('{"type":"result"')).toBe(true);
    expect(kept.droppedBytes).toBeGreaterThan(300);
  });

  it('redacts before cutting, so no start of a secret is left at the cut', () => {
    const secret = 'sk-abcdefghijklmnop';
    const { r, events } = reader({ maxItemBytes: 20, secrets: [secret] });
    r.stdout(Buffer.from(line({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 't', content: `token=${secret} and more text after it` }] } })));
    r.finish();
    expect(events[0]).toMatchObject({ kind: 'tool-result', text: 'token=*** and more t', cut: 12 });
  });

  it('a command agent: stdout and stderr lines (CRLF too), up to the output limit, then one note', () => {
    const { r, events } = reader({ parse: false, maxOutputBytes: 20 });
    r.stdout(Buffer.from('one\r\ntwo\n'));
    r.stderr(Buffer.from('warn\n'));
    r.stdout(Buffer.from('three is long enough\nfour\n'));
    r.finish();
    expect(events.map((e) => (e.kind === 'output' ? `${e.stream}:${e.text}` : e.kind))).toEqual([
      'stdout:one', 'stdout:two', 'stderr:warn', 'stdout:[output over 20 bytes: the rest is not in the transcript]',
    ]);
  });
});
