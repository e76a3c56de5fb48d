import { describe, expect, it } from 'vitest';
import { accessPolicy, checkHost, checkMutation, checkWrite, ListenRefusedError, Refusal } from '../../src/server/access.js';
import { parseHubConfig } from '../../src/spec/hub-config.js';

const refused = (f: () => void) => {
  try {
    f();
  } catch (err) {
    if (err instanceof Refusal) return err.status;
    throw err;
  }
  return undefined;
};

describe('access rules', () => {
  it('beyond loopback: a token is required and reads are protected unless hub.yaml says otherwise', () => {
    expect(() => accessPolicy('0.0.0.0', {})).toThrow(ListenRefusedError);
    expect(accessPolicy('0.0.0.0', { AGENT_HUB_TOKEN: 't' }).protectReads).toBe(true);
    expect(accessPolicy('0.0.0.0', { AGENT_HUB_TOKEN: 't' }, { protectReads: false }).protectReads).toBe(false);
    expect(accessPolicy('127.0.0.1', {}).protectReads).toBe(false);
    expect(accessPolicy('127.0.0.1', { AGENT_HUB_READ_TOKEN: 'r' }).protectReads).toBe(true);
    expect(() => accessPolicy('::1', {}, { protectReads: true })).toThrow(/server\.protectReads/);
  });

  it('all of 127.0.0.0/8 is loopback; a read token alone closes writes too', () => {
    expect(accessPolicy('127.0.0.21', {}).protectReads).toBe(false);
    expect(() => accessPolicy('128.0.0.1', {})).toThrow(ListenRefusedError);
    const readOnly = accessPolicy('127.0.0.1', { AGENT_HUB_READ_TOKEN: 'r' });
    expect(refused(() => checkWrite({}, readOnly))).toBe(401);
    expect(refused(() => checkWrite({ authorization: 'Bearer r' }, readOnly))).toBe(401);
    expect(refused(() => checkWrite({}, accessPolicy('127.0.0.1', {})))).toBeUndefined();
  });

  it('Host: IP addresses, localhost names, the bound name and listed names; nothing a URL parser could be fooled with', () => {
    const a = accessPolicy('hub.lan', { AGENT_HUB_TOKEN: 't' }, { allowedHosts: ['Proxy.Example.'] });
    for (const host of ['hub.lan:7420', '10.1.2.3:7420', '[fe80::1]', 'app.localhost:7420', 'proxy.example', undefined]) {
      expect(refused(() => checkHost({ host }, a)), host).toBeUndefined();
    }
    for (const host of ['evil.example', 'evil.example@127.0.0.1', '127.0.0.1/x', 'hub.lan.evil.example', 'localhost.evil.example', '']) {
      expect(refused(() => checkHost({ host }, a)), host).toBe(403);
    }
  });

  it('Origin: only the hub\'s own or a listed name; the port counts except for listed names', () => {
    const a = accessPolicy('127.0.0.1', {}, { allowedHosts: ['proxy.example'] });
    const post = (origin: string, host = '127.0.0.1:7420') => refused(() => checkMutation({ host, origin, 'content-type': 'application/json' }, a));
    expect(post('http://127.0.0.1:7420')).toBeUndefined();
    expect(post('https://proxy.example')).toBeUndefined();
    expect(post('http://localhost', 'localhost:80')).toBeUndefined();
    expect(post('http://127.0.0.1:3000')).toBe(403);
    expect(post('http://localhost:7420')).toBe(403);
    expect(post('file://')).toBe(403);
    expect(post('null')).toBe(403);
  });
});

describe('server.allowedHosts in hub.yaml', () => {
  it('a URL or a name with a port is reported where it stands, since it would never match a Host', () => {
    const r = parseHubConfig(new TextEncoder().encode('server:\n  allowedHosts:\n    - hub.example\n    - https://hub.example:8080\n'));
    expect(r.diagnostics.map((d) => `${d.line}: ${d.message}`)).toEqual(['4: "https://hub.example:8080" is not a host name']);
  });
});
