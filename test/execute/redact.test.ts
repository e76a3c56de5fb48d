import { describe, expect, it, onTestFinished } from 'vitest';
import { Hub } from '../../src/hub.js';
import { Redactor } from '../../src/execute/redact.js';
import { testdir } from '../helpers/repo.js';
import { fakeClaudeEnv } from '../helpers/fake-agent.js';

const SECRET = 'ghp_S3cr3t0&@z@cc~!z?_0';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const b64url = (s: string) => b64(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

describe('redaction of secrets in common encodings', () => {
  const r = new Redactor([SECRET]);

  it('redacts the value and its base64, standard and URL-safe, with and without padding', () => {
    expect(b64(SECRET)).toMatch(/[+/=]/); // the test secret exercises every base64 special character
    for (const form of [SECRET, b64(SECRET), b64(SECRET).replace(/=+$/, ''), b64url(SECRET)]) {
      const out = r.text(`token: ${form} end`);
      expect(out).toBe('token: *** end');
    }
  });

  it('redacts the secret inside a longer base64 text, whatever its alignment (Basic auth)', () => {
    for (const user of ['u', 'us', 'usr', 'user']) {
      const header = b64(`${user}:${SECRET}`);
      const out = r.text(`Authorization: Basic ${header}`);
      expect(out).toContain('***');
      // At most the characters that mix the secret's bits with its neighbours' stay: 2 on each side.
      const left = out.replace('Authorization: Basic ', '').split('***');
      expect(left).toHaveLength(2);
      expect((left[0] as string).length).toBeLessThanOrEqual(Math.ceil(((user.length + 1) * 8) / 6));
      expect((left[1] as string).length).toBeLessThanOrEqual(4);
    }
  });

  it('redacts URL-encoded, JSON-escaped and hex forms', () => {
    const quoted = 'pa"ss\\wörd/1';
    const q = new Redactor([quoted]);
    expect(r.text(`https://x.test/?t=${encodeURIComponent(SECRET)}&a=1`)).toBe('https://x.test/?t=***&a=1');
    expect(r.text(`?t=${encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}`)).toBe('?t=***');
    expect(q.text(`{"password": ${JSON.stringify(quoted)}}`)).toBe('{"password": "***"}');
    expect(q.text(`{"password": "pa\\"ss\\\\w\\u00f6rd\\/1"}`)).toBe('{"password": "***"}');
    expect(r.text(`hex ${Buffer.from(SECRET).toString('hex')}`)).toBe('hex ***');
    expect(r.text(`HEX ${Buffer.from(SECRET).toString('hex').toUpperCase()}`)).toBe('HEX ***');
  });

  it('keeps the structure of JSON values, keys redacted too', () => {
    const tricky = new Redactor(['a","b']);
    expect(tricky.value({ list: ['x a","b y', 3], [`k-${SECRET}`]: true })).toEqual({ list: ['x *** y', 3], 'k-ghp_S3cr3t0&@z@cc~!z?_0': true });
    expect(r.value({ [`k-${SECRET}`]: b64(SECRET) })).toEqual({ 'k-***': '***' });
  });

  it('leaves other text alone, and secrets under 4 characters', () => {
    expect(r.text('nothing secret here, base64 aGVsbG8= too')).toBe('nothing secret here, base64 aGVsbG8= too');
    expect(new Redactor(['abc']).text('abc YWJj 616263')).toBe('abc YWJj 616263');
  });

  it('a run whose agent prints a secret base64-encoded stores no form of it', async () => {
    const root = testdir({
      'connectors/leak.yaml': JSON.stringify({
        prompt: 'x',
        agent: { type: 'command', command: ['sh', '-c', 'printf "%s" "$API_TOKEN" | base64 | tr -d "\\n"; echo; printf "user:%s" "$API_TOKEN" | base64 | tr -d "\\n"'], env: { API_TOKEN: '${HUB_TOKEN}' } },
      }),
    });
    const hub = new Hub({ repo: root, env: fakeClaudeEnv({ HUB_TOKEN: SECRET }).env });
    onTestFinished(() => hub.stop(0));
    await hub.start();
    const r0 = hub.run('leak', {});
    if (r0.status !== 'queued') throw new Error(r0.status);
    const e = await hub.executor.waitFinal(r0.id);
    expect(e.status).toBe('success');
    expect(e.result).not.toContain(b64(SECRET).slice(0, 12));
    expect(e.result).not.toContain(b64(`user:${SECRET}`).slice(8, 20));
    expect(e.result?.split('\n')[0]).toBe('***');
  });
});

describe('redaction of output-check errors', () => {
  it('a secret the agent used as a JSON key is not stored in the schema errors', async () => {
    const root = testdir({
      'connectors/keys.yaml': JSON.stringify({
        prompt: 'x',
        agent: { type: 'command', command: ['sh', '-c', 'printf \'{"count": 1, "%s": 2}\' "$API_TOKEN"'], env: { API_TOKEN: '${HUB_TOKEN}' } },
        output: { format: 'json', schema: { type: 'object', properties: { count: { type: 'integer' } }, additionalProperties: false } },
      }),
    });
    const hub = new Hub({ repo: root, env: fakeClaudeEnv({ HUB_TOKEN: SECRET }).env });
    onTestFinished(() => hub.stop(0));
    await hub.start();
    const r0 = hub.run('keys', {});
    if (r0.status !== 'queued') throw new Error(r0.status);
    const e = await hub.executor.waitFinal(r0.id);
    expect(e).toMatchObject({ status: 'failed', errorKind: 'invalid-output' });
    expect(JSON.stringify(e)).not.toContain(SECRET);
    expect(JSON.stringify(e.validationErrors)).toContain('***');
  });
});

describe('redaction of the forms other tools print', () => {
  const odd = "Pässw0rd!&x~y'z(1)*";
  const r = new Redactor([odd]);
  it('catches strict percent-encoding (Python quote, curl --data-urlencode), Go JSON and shell quoting', () => {
    const strict = encodeURIComponent(odd).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    expect(r.text(`q=${strict}`)).toBe('q=***');
    expect(r.text(`q=${strict.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}`)).toBe('q=***');
    expect(r.text(`{"p":"${JSON.stringify(odd).slice(1, -1).replace(/&/g, '\\u0026')}"}`)).toBe('{"p":"***"}');
    expect(r.text(`curl -u 'me:${odd.replace(/'/g, "'\\''")}'`)).toBe("curl -u 'me:***'");
  });

  it('catches the start of a secret where a size limit cut the text', () => {
    const key = 'sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
    const k = new Redactor([key]);
    expect(k.cutText(`${'x'.repeat(20)}${key.slice(0, 28)}`)).toBe(`${'x'.repeat(20)}***`);
    expect(k.cutText('nothing secret here')).toBe('nothing secret here');
  });
});

describe('a run cut at the output limit inside a secret', () => {
  it('stores none of the secret, and an unparsable JSON result is described without quoting it', async () => {
    const key = 'sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
    const root = testdir({
      'hub.yaml': 'defaults:\n  maxOutputBytes: 2048\n',
      'connectors/cut.yaml': JSON.stringify({
        prompt: 'x', agent: { type: 'command', command: ['sh', '-c', 'head -c 2020 /dev/zero | tr "\\0" x; printf "%s" "$API_KEY"'], env: { API_KEY: '${HUB_KEY}' } },
      }),
      'connectors/json.yaml': JSON.stringify({
        prompt: 'x', agent: { type: 'command', command: ['sh', '-c', 'printf "%s" "$API_KEY"'], env: { API_KEY: '${HUB_KEY}' } }, output: { format: 'json' },
      }),
    });
    const hub = new Hub({ repo: root, env: fakeClaudeEnv({ HUB_KEY: key }).env });
    onTestFinished(() => hub.stop(0));
    await hub.start();
    for (const id of ['cut', 'json']) {
      const r0 = hub.run(id, {});
      if (r0.status !== 'queued') throw new Error(r0.status);
      const e = await hub.executor.waitFinal(r0.id);
      expect(JSON.stringify(e)).not.toContain('sk-ant-api03-ABCD');
    }
  });
});
