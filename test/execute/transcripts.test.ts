import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { hubWith, runOnce } from '../helpers/hub.js';
import { localTranscriptPath, parseTranscript } from '../../src/execute/transcript-files.js';
import type { TranscriptEvent } from '../../src/agents/transcript.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);
const steps = (root: string, id: string): TranscriptEvent[] => parseTranscript(readFileSync(localTranscriptPath(root, id), 'utf8'));

describe('run transcripts', () => {
  it('keeps what a claude run did: its text, each tool call with its input and result, denials, the result with cost and usage', async () => {
    const prompt = [
      'Tidy up',
      '@fake say Looking at the repository first.',
      '@fake tool Bash {"command":"git log --oneline -5","description":"recent commits"}',
      '@fake tool Read {"file_path":"/srv/repo/README.md"}',
      '@fake tool Write {"file_path":"/etc/passwd","content":"x"}',
      '@fake deny Write',
    ].join('\n');
    const { root, hub } = await hubWith({ 'connectors/tidy.yaml': yaml({ prompt }) });
    const e = await runOnce(hub, 'tidy');
    expect(e).toMatchObject({ status: 'success', result: 'Done: Tidy up', costUsd: 0.0012, transcript: `${e.id}.transcript.jsonl` });
    const t = steps(root, e.id);
    expect(t.map((s) => s.kind)).toEqual(['init', 'text', 'tool', 'tool-result', 'tool', 'tool-result', 'tool', 'tool-result', 'text', 'denied', 'result', 'end']);
    expect(t.map((s) => s.seq)).toEqual(t.map((_, i) => i + 1));
    expect(t[2]).toMatchObject({ kind: 'tool', name: 'Bash', input: { command: 'git log --oneline -5', description: 'recent commits' } });
    expect(t[3]).toMatchObject({ kind: 'tool-result', id: 'toolu_01', text: 'ok: git log --oneline -5', isError: false });
    expect(t[7]).toMatchObject({ kind: 'tool-result', isError: true });
    expect(t[9]).toMatchObject({ kind: 'denied', tool: 'Write', input: { file_path: '/etc/passwd' } });
    expect(t[10]).toMatchObject({ kind: 'result', subtype: 'success', isError: false, costUsd: 0.0012, numTurns: 1, usage: { input_tokens: 2400, output_tokens: 52 } });
    expect(t[11]).toMatchObject({ kind: 'end', status: 'success' });
  });

  it('redacts secrets and cuts long tool results to state.transcriptMaxBytes', async () => {
    const secret = 'sk-live-0123456789abcdef';
    const { root, hub } = await hubWith({
      'hub.yaml': 'state:\n  transcriptMaxBytes: 300\n',
      'connectors/leak.yaml': yaml({ prompt: `x\n@fake tool Bash {"command":"echo ${secret}"}\n@fake output ${'y'.repeat(1000)}`, agent: { env: { TOKEN: '${TOKEN}' } } }),
    }, { TOKEN: secret });
    const e = await runOnce(hub, 'leak');
    const text = readFileSync(localTranscriptPath(root, e.id), 'utf8');
    expect(text).not.toContain(secret);
    expect(text).toContain('echo ***');
    const result = steps(root, e.id).find((s) => s.kind === 'tool-result');
    expect(result).toMatchObject({ text: 'y'.repeat(300), cut: 700 });
  });

  it('a command agent keeps its stdout and stderr lines as the transcript', async () => {
    const script = 'echo one; echo oops >&2; echo two';
    const { root, hub } = await hubWith({ 'connectors/sh.yaml': yaml({ prompt: 'x', agent: { type: 'command', command: ['sh', '-c', script] } }) });
    const e = await runOnce(hub, 'sh');
    expect(e).toMatchObject({ status: 'success', result: 'one\ntwo' });
    const t = steps(root, e.id).filter((s) => s.kind === 'output');
    expect(t.filter((s) => s.kind === 'output' && s.stream === 'stdout').map((s) => (s as { text: string }).text)).toEqual(['one', 'two']);
    expect(t.find((s) => s.kind === 'output' && s.stream === 'stderr')).toMatchObject({ text: 'oops' });
  });

  it('state.transcripts: off keeps none; local keeps it out of the run record', async () => {
    const { root, hub } = await hubWith({ 'hub.yaml': 'state:\n  transcripts: off\n', 'connectors/a.yaml': yaml({ prompt: 'x\n@fake tool Bash {"command":"ls"}' }) });
    const e = await runOnce(hub, 'a');
    expect(e.transcript).toBeNull();
    expect(existsSync(localTranscriptPath(root, e.id))).toBe(false);

    const local = await hubWith({ 'hub.yaml': 'state:\n  transcripts: local\n', 'connectors/a.yaml': yaml({ prompt: 'x\n@fake tool Bash {"command":"ls"}' }) });
    const l = await runOnce(local.hub, 'a');
    expect(l.transcript).toBeNull();
    expect(steps(local.root, l.id).some((s) => s.kind === 'tool')).toBe(true);
    expect(existsSync(path.join(local.root, 'state'))).toBe(false);
  });
});
