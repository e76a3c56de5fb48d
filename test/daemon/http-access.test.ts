import { describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { gitdir } from '../helpers/repo.js';
import { eventually, fakeClaudeEnv } from '../helpers/fake-agent.js';
import { startDaemon, type Daemon } from '../helpers/daemon.js';
import { cli } from '../helpers/cli.js';

const yaml = (o: Record<string, unknown>) => JSON.stringify(o);

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; text: string; json: Record<string, unknown> }

/** One request with headers a browser would send (fetch cannot set Host): a forged Host, an Origin, a form's Content-Type. */
function send(d: Daemon, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const url = new URL(d.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { host: url.host, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // an HTML page or metrics text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const runs = async (d: Daemon, auth: Record<string, string> = {}) => ((await send(d, 'GET', '/api/executions', auth)).json.executions as unknown[]);

function repo(hubYaml = '') {
  return gitdir({
    '.gitignore': '.agent-hub/\n', ...(hubYaml ? { 'hub.yaml': hubYaml } : {}),
    'connectors/p.yaml': yaml({ inputs: { n: { type: 'integer' } }, prompt: 'n={{inputs.n}}' }),
  });
}

describe('who can reach the API', () => {
  it('without a token: a web page cannot start runs or reconcile, a foreign Host is refused, curl and listed names work', async () => {
    const d = await startDaemon(repo('server:\n  allowedHosts: [hub.internal.example]\n'), fakeClaudeEnv().env);
    const port = new URL(d.url).port;
    const evil = { origin: 'http://evil.example', 'content-type': 'text/plain' };

    // A cross-site form or fetch(no-cors): text/plain, a foreign Origin; through DNS rebinding also a foreign Host.
    const forged: Array<Record<string, string>> = [{ ...evil, host: `evil.example:${port}` }, evil, { ...evil, 'content-type': 'application/json' }, { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, { 'content-type': 'application/json', origin: 'null' }, { 'content-type': 'text/plain' }];
    for (const headers of forged) {
      const r = await send(d, 'POST', '/api/connectors/p/run', headers, '{"inputs":{"n":666}}');
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(String(r.json.error)).not.toBe('');
    }
    const rebound = await send(d, 'POST', '/api/connectors/p/run', { ...evil, host: `evil.example:${port}` }, '{}');
    expect(rebound.json.error).toContain('"evil.example"');
    expect(rebound.json.error).toContain('server.allowedHosts');
    expect((await send(d, 'POST', '/api/connectors/p/run', evil)).json.error).toContain('http://evil.example');
    expect((await send(d, 'POST', '/api/connectors/p/run', { 'content-type': 'text/plain' })).json.error).toContain('application/json');
    expect((await send(d, 'POST', '/api/reconcile', { ...evil, 'content-type': 'application/json' })).status).toBe(403);
    expect((await send(d, 'POST', '/api/reconcile', { ...evil, host: `evil.example:${port}` })).status).toBe(403);
    expect(await runs(d)).toEqual([]);

    // Reads, the dashboard and the probes under a rebound name: refused too.
    for (const path of ['/api/executions', '/', '/healthz', '/metrics', '/nope']) expect((await send(d, 'GET', path, { host: `evil.example:${port}` })).status, path).toBe(403);
    // The operator hears of it once, not once per request.
    await eventually(() => expect(d.logs.filter((l) => String(l.msg).startsWith('request refused: requests for host "evil.example"'))).toMatchObject([{ level: 40, host: `evil.example:${port}` }]), 3000);

    // curl (no Origin), the dashboard's own origin, loopback names, a name listed in hub.yaml.
    const ok = await send(d, 'POST', '/api/connectors/p/run', { 'content-type': 'application/json; charset=utf-8' }, '{"inputs":{"n":1}}');
    expect(ok.status).toBe(202);
    await eventually(async () => expect((await send(d, 'GET', `/api/executions/${String(ok.json.id)}`)).json.status).toBe('success'), 5000);
    expect((await send(d, 'POST', '/api/reconcile', { 'content-type': 'application/json', origin: d.url, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    for (const host of [`localhost:${port}`, 'localhost', `[::1]:${port}`, `hub.internal.example:${port}`, 'HUB.internal.example.']) {
      expect((await send(d, 'GET', '/api/connectors', { host })).status, host).toBe(200);
    }
    expect((await send(d, 'POST', '/api/reconcile', { host: 'hub.internal.example', origin: 'https://hub.internal.example', 'content-type': 'application/json' })).status).toBe(200);
    expect(await runs(d)).toHaveLength(1);
    d.proc.kill('SIGTERM');
    await d.exited;
  });

  it('reads behind a token: Bearer or a browser password for pages, the read token opens reads only', async () => {
    const d = await startDaemon(repo('server:\n  protectReads: true\n'), { ...fakeClaudeEnv().env, AGENT_HUB_TOKEN: 'admin-secret', AGENT_HUB_READ_TOKEN: 'reader-secret' });
    const port = new URL(d.url).port;
    const bearer = { authorization: 'Bearer admin-secret' };
    const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`me:${password}`).toString('base64')}` });

    // A token does not make a rebound Host acceptable.
    expect((await send(d, 'GET', '/api/executions', { ...bearer, host: `evil.example:${port}` })).status).toBe(403);

    for (const path of ['/api/executions', '/api/connectors', '/metrics', '/', '/runs/x']) {
      const anonymous = await send(d, 'GET', path);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Basic realm="agent-hub", charset="UTF-8"');
      expect((await send(d, 'GET', path, basic('wrong'))).status, path).toBe(401);
    }
    expect((await send(d, 'GET', '/api/executions', bearer)).status).toBe(200);
    expect((await send(d, 'GET', '/api/executions', basic('admin-secret'))).status).toBe(200);
    expect((await send(d, 'GET', '/api/executions', { authorization: 'Bearer reader-secret' })).status).toBe(200);
    const page = await send(d, 'GET', '/', basic('reader-secret'));
    expect(page.status).toBe(200);
    expect(page.text).toContain('Connectors and runs');
    expect((await send(d, 'GET', '/metrics', { authorization: 'Bearer reader-secret' })).text).toContain('agent_hub_running_runs');

    // A probe learns only whether the hub is up.
    expect((await send(d, 'GET', '/healthz')).json).toEqual({ status: 'ok' });
    expect((await send(d, 'GET', '/healthz', bearer)).json).toMatchObject({ status: 'ok', running: 0 });

    // Starting runs: the admin token as Bearer only (a browser's remembered password or the read token never do).
    const json = { 'content-type': 'application/json' };
    expect((await send(d, 'POST', '/api/connectors/p/run', { ...json, ...basic('admin-secret') })).status).toBe(401);
    expect((await send(d, 'POST', '/api/connectors/p/run', { ...json, authorization: 'Bearer reader-secret' })).status).toBe(401);
    expect(await runs(d, bearer)).toEqual([]);
    expect((await send(d, 'POST', '/api/connectors/p/run', { ...json, ...bearer })).status).toBe(202);
    expect(await runs(d, bearer)).toHaveLength(1);
    d.proc.kill('SIGTERM');
    await d.exited;
  });

  it('refuses to start when reads are to be protected without a token', async () => {
    const r = await cli(['start', '--repo', repo('server:\n  protectReads: true\n'), '--port', '0'], { env: { AGENT_HUB_TOKEN: '', AGENT_HUB_READ_TOKEN: '' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('server.protectReads');
    expect(r.stderr).toContain('AGENT_HUB_READ_TOKEN');
  });
});
