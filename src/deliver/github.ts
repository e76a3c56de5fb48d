import { createHash } from 'node:crypto';
import { failure, request, type HttpAnswer, type SendResult } from './http.js';

export interface GithubContext {
  apiUrl: string;
  token: string;
  /** Aborts requests in flight (the hub is stopping). */
  signal?: AbortSignal;
}

const headers = (g: GithubContext) => ({
  authorization: `Bearer ${g.token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28',
  'content-type': 'application/json', 'user-agent': 'agent-hub',
});

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/** Every page of a list (at most 10 pages of 100), following Link: rel="next". */
async function list(g: GithubContext, url: string): Promise<{ items: Array<Record<string, unknown>> } | { failed: HttpAnswer }> {
  const items: Array<Record<string, unknown>> = [];
  let next: string | undefined = url;
  for (let page = 0; next && page < 10; page++) {
    const a = await request(next, { method: 'GET', headers: headers(g), ...(g.signal ? { signal: g.signal } : {}) });
    if (a.status !== 200 || !Array.isArray(a.json)) return { failed: a };
    items.push(...(a.json as Array<Record<string, unknown>>));
    next = /<([^>]+)>;\s*rel="next"/.exec(a.link ?? '')?.[1];
    // The token goes with each page: only to the API's own origin, whatever a Link header says.
    if (next !== undefined && !sameOrigin(next, url)) next = undefined;
  }
  return { items };
}

/** The login each token acts as, by API and a digest of the token (never the token itself); null: a GitHub App's token. */
const logins = new Map<string, string | null>();

/**
 * Who the token acts as: its login (GET /user), or null for a GitHub App's installation
 * token, which /user refuses and whose comments are by a Bot user.
 */
async function tokenLogin(g: GithubContext): Promise<string | null | { failed: HttpAnswer }> {
  const key = `${g.apiUrl} ${createHash('sha256').update(g.token).digest('hex')}`;
  const known = logins.get(key);
  if (known !== undefined) return known;
  const a = await request(`${g.apiUrl}/user`, { method: 'GET', headers: headers(g), ...(g.signal ? { signal: g.signal } : {}) });
  const login = (a.json as { login?: unknown } | null)?.login;
  if (a.status === 200 && typeof login === 'string') logins.set(key, login);
  else if (a.status === 403 || a.status === 404) logins.set(key, null);
  else return { failed: a };
  return logins.get(key) ?? null;
}

/**
 * Whether an issue or comment carrying the marker was posted by the hub: anyone can write the
 * marker (it is in every comment the hub posts), and the hub must not take an outsider's
 * comment or issue for its own (editing it, or skipping its post as already made).
 */
function postedBy(item: Record<string, unknown>, login: string | null): boolean {
  const user = item.user as { login?: unknown; type?: unknown } | undefined;
  return login === null ? user?.type === 'Bot' : user?.login === login;
}

/**
 * A comment on an issue or pull request. With `update`, or when an earlier attempt may have
 * landed (a crash, a timeout), the comment carrying the marker is looked for first: it is
 * edited, or taken as sent, so a retry never posts a second one.
 */
export async function sendComment(g: GithubContext, p: { repository: string; number: number; body: string; marker: string; update: boolean }, inDoubt: boolean): Promise<SendResult> {
  const base = `${g.apiUrl}/repos/${p.repository}/issues`;
  if (p.update || inDoubt) {
    const login = await tokenLogin(g);
    if (login !== null && typeof login === 'object') return failure('asking GitHub who the token is', login.failed);
    const found = await list(g, `${base}/${p.number}/comments?per_page=100`);
    if ('failed' in found) return failure(`listing the comments of ${p.repository}#${p.number}`, found.failed);
    const mine = found.items.filter((c) => typeof c.body === 'string' && c.body.includes(p.marker) && postedBy(c, login)).pop();
    if (mine && !p.update) return { ok: true, detail: `already posted (comment ${String(mine.id)})` };
    if (mine) {
      const a = await request(`${base}/comments/${String(mine.id)}`, { method: 'PATCH', headers: headers(g), body: JSON.stringify({ body: p.body }), ...(g.signal ? { signal: g.signal } : {}) });
      return a.status === 200 ? { ok: true, detail: `comment ${String(mine.id)} updated` } : failure('updating the comment', a);
    }
  }
  const a = await request(`${base}/${p.number}/comments`, { method: 'POST', headers: headers(g), body: JSON.stringify({ body: p.body }), ...(g.signal ? { signal: g.signal } : {}) });
  return a.status === 201 ? { ok: true, detail: `comment ${String((a.json as { id?: unknown })?.id)} posted` } : failure('posting the comment', a);
}

/**
 * An issue keyed by its title: the open issue of that title the hub opened (it carries the
 * marker) is updated, otherwise one is opened. Looking first makes a retry safe.
 */
export async function sendIssue(g: GithubContext, p: { repository: string; title: string; body: string; labels?: string[]; marker: string; state?: 'open' | 'closed' }): Promise<SendResult> {
  const base = `${g.apiUrl}/repos/${p.repository}/issues`;
  const login = await tokenLogin(g);
  if (login !== null && typeof login === 'object') return failure('asking GitHub who the token is', login.failed);
  const found = await list(g, `${base}?state=open&per_page=100`);
  if ('failed' in found) return failure(`listing the issues of ${p.repository}`, found.failed);
  const mine = found.items.find((i) => i.title === p.title && typeof i.body === 'string' && i.body.includes(p.marker) && !i.pull_request && postedBy(i, login));
  const body = JSON.stringify({ title: p.title, body: p.body, ...(p.labels ? { labels: p.labels } : {}), ...(p.state && mine ? { state: p.state } : {}) });
  // Closing what is not open: nothing to do.
  if (!mine && p.state === 'closed') return { ok: true, detail: 'no open issue to close' };
  if (mine) {
    const a = await request(`${base}/${String(mine.number)}`, { method: 'PATCH', headers: headers(g), body, ...(g.signal ? { signal: g.signal } : {}) });
    return a.status === 200 ? { ok: true, detail: `issue #${String(mine.number)} updated` } : failure('updating the issue', a);
  }
  const a = await request(base, { method: 'POST', headers: headers(g), body, ...(g.signal ? { signal: g.signal } : {}) });
  return a.status === 201 ? { ok: true, detail: `issue #${String((a.json as { number?: unknown })?.number)} opened` } : failure('opening the issue', a);
}
