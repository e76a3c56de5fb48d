import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { onTestFinished } from 'vitest';

/** A request a stand-in received. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Listening {
  url: string;
  requests: Received[];
  /** The next `n` requests are answered 503 (they are recorded, nothing else happens). */
  failNext(n: number): void;
  /** The next request matching is carried out, then never answered (the sender is killed meanwhile). */
  hangNext(match: (r: Received) => boolean): void;
  close(): Promise<void>;
}

/** A loopback HTTP server answering with `handle`, recording every request; closed when the test ends. */
export async function listen(handle: (r: Received, res: ServerResponse) => void): Promise<Listening> {
  const requests: Received[] = [];
  let failing = 0;
  let hang: ((r: Received) => boolean) | undefined;
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      requests.push(r);
      if (failing > 0) {
        failing--;
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"try later"}');
        return;
      }
      if (hang?.(r)) {
        hang = undefined;
        handle(r, { writeHead: () => ({ end: () => undefined }), end: () => undefined } as unknown as ServerResponse);
        hanging.push(res);
        return;
      }
      handle(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  const close = () => new Promise<void>((resolve) => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    server.close(() => resolve());
  });
  onTestFinished(close);
  return { url: `http://127.0.0.1:${address.port}`, requests, failNext: (n) => (failing = n), hangNext: (m) => (hang = m), close };
}

const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

/** Who posted a comment or an issue, as GitHub shows it. */
export interface GithubUser {
  login: string;
  type: 'User' | 'Bot';
}

export interface GithubStandin extends Listening {
  /** Comments by `owner/name#number`; a test may add others' comments. */
  comments: Map<string, Array<{ id: number; body: string; user: GithubUser }>>;
  issues: Map<string, Array<{ number: number; title: string; body: string; labels: string[]; user: GithubUser }>>;
}

/**
 * The parts of the GitHub REST API deliveries use (who the token is; issue comments: list,
 * create, edit; issues: list, create, edit), answering only `Authorization: Bearer <token>`.
 * The token acts as `user` (a User: GET /user answers; a Bot, a GitHub App's: it answers 403).
 */
export async function githubStandin(token: string, user: GithubUser = { login: 'hub-bot', type: 'User' }): Promise<GithubStandin> {
  const comments: GithubStandin['comments'] = new Map();
  const issues: GithubStandin['issues'] = new Map();
  let ids = 1000;
  const s = await listen((r, res) => {
    if (r.headers.authorization !== `Bearer ${token}`) return json(res, 401, { message: 'Bad credentials' });
    const url = new URL(r.path, 'http://x');
    let m: RegExpExecArray | null;
    const body = r.body ? (JSON.parse(r.body) as Record<string, unknown>) : {};
    if (url.pathname === '/user') return user.type === 'Bot' ? json(res, 403, { message: 'Resource not accessible by integration' }) : json(res, 200, user);
    if ((m = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/.exec(url.pathname))) {
      const key = `${m[1]}#${m[2]}`;
      const list = comments.get(key) ?? [];
      comments.set(key, list);
      if (r.method === 'GET') return json(res, 200, list);
      const c = { id: ++ids, body: String(body.body), user };
      list.push(c);
      return json(res, 201, c);
    }
    if ((m = /^\/repos\/([^/]+\/[^/]+)\/issues\/comments\/(\d+)$/.exec(url.pathname)) && r.method === 'PATCH') {
      const c = [...comments.values()].flat().find((x) => x.id === Number(m?.[2]));
      if (!c) return json(res, 404, { message: 'Not Found' });
      c.body = String(body.body);
      return json(res, 200, c);
    }
    if ((m = /^\/repos\/([^/]+\/[^/]+)\/issues(?:\/(\d+))?$/.exec(url.pathname))) {
      const list = issues.get(m[1] as string) ?? [];
      issues.set(m[1] as string, list);
      if (r.method === 'GET') return json(res, 200, list);
      if (r.method === 'POST') {
        const i = { number: list.length + 1, title: String(body.title), body: String(body.body), labels: (body.labels as string[]) ?? [], user };
        list.push(i);
        return json(res, 201, i);
      }
      const i = list.find((x) => x.number === Number(m?.[2]));
      if (!i) return json(res, 404, { message: 'Not Found' });
      Object.assign(i, { title: body.title ?? i.title, body: body.body ?? i.body, labels: body.labels ?? i.labels });
      return json(res, 200, i);
    }
    return json(res, 404, { message: 'Not Found' });
  });
  return { ...s, comments, issues };
}

/** A webhook receiver: answers 200 and keeps what it was sent. */
export async function webhookReceiver(): Promise<Listening> {
  return listen((_r, res) => json(res, 200, { ok: true }));
}
