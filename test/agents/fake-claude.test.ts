import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { FIXTURES } from '../helpers/fake-agent.js';

/** What Claude Code 2.1.197 printed with no credentials (`claude -p --output-format json`, exit 1); ids and times made neutral. */
const REAL_NOT_LOGGED_IN = '{"type":"result","subtype":"success","is_error":true,"api_error_status":null,"duration_ms":0,"duration_api_ms":0,"num_turns":1,"result":"Not logged in · Please run /login","stop_reason":"stop_sequence","session_id":"S","total_cost_usd":0,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0,"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"service_tier":"standard","cache_creation":{"ephemeral_1h_input_tokens":0,"ephemeral_5m_input_tokens":0},"inference_geo":"","iterations":[],"speed":"standard"},"modelUsage":{},"permission_denials":[],"terminal_reason":"completed","fast_mode_state":"off","uuid":"U"}';

/** The same with a refused ANTHROPIC_API_KEY (the API answered 401). */
const REAL_INVALID_KEY = REAL_NOT_LOGGED_IN.replace('"api_error_status":null', '"api_error_status":401').replace('Not logged in · Please run /login', 'Invalid API key · Fix external API key');

function fake(env: Record<string, string>, args: string[] = ['-p', '--output-format', 'json'], input = 'hi'): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = execFile(path.join(FIXTURES, 'claude'), args, { env: { ...process.env, ...env } }, (err, stdout) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout });
    });
    child.stdin?.end(input);
  });
}

const neutral = (line: string) => line.trim().replace(/"session_id":"[^"]+"/, '"session_id":"S"').replace(/"uuid":"[^"]+"/, '"uuid":"U"').replace(/"duration_ms":\d+/, '"duration_ms":0');

describe('the fake claude fails as the real CLI does', () => {
  it('"Not logged in" and a refused key: the same fields, in the same order, the same text, exit 1', async () => {
    const notLoggedIn = await fake({ CLAUDE_CODE_FAKE_FAIL: 'not-logged-in' });
    expect(notLoggedIn.code).toBe(1);
    expect(neutral(notLoggedIn.stdout)).toBe(REAL_NOT_LOGGED_IN);
    expect(neutral((await fake({ CLAUDE_CODE_FAKE_FAIL: 'invalid-key' })).stdout)).toBe(REAL_INVALID_KEY);
  });

  it('--json-schema that is not JSON is refused as the real CLI refuses it', async () => {
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = execFile(path.join(FIXTURES, 'claude'), ['-p', '--output-format', 'json', '--json-schema', '{not json'], (err, _out, stderr) => resolve({ code: err ? 1 : 0, stderr }));
      child.stdin?.end('hi');
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: --json-schema is not valid JSON: /);
  });
});
