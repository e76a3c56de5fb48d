import { describe, expect, it, onTestFinished } from 'vitest';
import { Hub } from '../../src/hub.js';
import { partialResult } from '../../src/agents/claude/result.js';
import { testdir } from '../helpers/repo.js';
import { fakeClaudeEnv } from '../helpers/fake-agent.js';

describe('a claude result over the output limit', () => {
  it('is stored as the result text that arrived plus the truncation marker, as invalid-output', async () => {
    const root = testdir({
      'hub.yaml': 'defaults:\n  maxOutputBytes: 4096\n',
      'connectors/big.yaml': JSON.stringify({ prompt: 'x\n@fake huge 10000' }),
    });
    const hub = new Hub({ repo: root, env: fakeClaudeEnv().env });
    onTestFinished(() => hub.stop(0));
    await hub.start();
    const r = hub.run('big', {});
    if (r.status !== 'queued') throw new Error(r.status);
    const e = await hub.executor.waitFinal(r.id);
    expect(e).toMatchObject({ status: 'failed', errorKind: 'invalid-output', outputTruncated: true });
    // The agent's text, not a fragment of the JSON envelope around it.
    expect(e.result).toMatch(/^x{3000,4096}\n…\[output truncated: \d+ more bytes dropped, limit 4096\]$/);
    expect(e.error).toContain('over the output limit (defaults.maxOutputBytes in hub.yaml)');
  });

  it('the result text is recovered from JSON cut anywhere, escapes included', () => {
    expect(partialResult('{"type":"result","result":"line 1\\nl\\u00e9gal \\"q\\" end"}')).toBe('line 1\nlégal "q" end');
    expect(partialResult('{"type":"result","result":"line 1\\nl\\u00')).toBe('line 1\nl');
    expect(partialResult('{"type":"result","result":"ab\\')).toBe('ab');
    expect(partialResult('{"type":"result","subtype":"succ')).toBeNull();
  });
});
