import { describe, expect, it } from 'vitest';
import { sendComment } from '../../src/deliver/github.js';
import { listen } from '../helpers/standins.js';

// The GitHub client of deliveries against loopback servers.
describe('GitHub deliveries', () => {
  it('follow a list\'s next page only on the API\'s own origin: the token is never sent elsewhere', async () => {
    const elsewhere = await listen((_r, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'));
    const api = await listen((r, res) => {
      if (r.path === '/user') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"login":"hub-bot"}');
      if (r.method === 'GET') return res.writeHead(200, { 'content-type': 'application/json', link: `<${elsewhere.url}/steal?page=2>; rel="next"` }).end('[]');
      return res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":1}');
    });
    const sent = await sendComment({ apiUrl: api.url, token: 'ghp_secret' }, { repository: 'a/b', number: 1, body: 'hi', marker: '<!-- agent-hub:c -->', update: true }, false);
    expect(sent).toMatchObject({ ok: true });
    expect(elsewhere.requests).toEqual([]);
  });
});
