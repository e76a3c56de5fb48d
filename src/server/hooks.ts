import type { RequestHeaders } from './access.js';
import type { HubView } from './view.js';
import { MAX_HOOK_BODY, type HookAnswer } from '../events/intake.js';

function json(status: number, body: unknown, extra: Record<string, string> = {}): Response {
  return new Response(`${JSON.stringify(body, null, 2)}\n`, { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...extra } });
}

/** The raw body (signatures are over its bytes); 'too-large' once it passes the limit, without reading the rest. */
async function readBody(req: Request): Promise<Uint8Array | 'too-large'> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    for await (const chunk of req.body) {
      size += chunk.length;
      if (size > MAX_HOOK_BODY) return 'too-large';
      chunks.push(chunk);
    }
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * `POST /hooks/github` and `POST /hooks/<connector-id>`: requests from other servers, which
 * prove themselves by a signature or a token of their own (not the hub's API token). The
 * Host check has run; a browser's request (Origin, Sec-Fetch-Site) is refused: no page has
 * a reason to send one, and the hub's own pages never do.
 */
export async function answerHook(view: HubView, req: Request, headers: RequestHeaders, url: URL): Promise<Response> {
  const m = /^\/hooks\/([a-z0-9][a-z0-9-]{0,63})$/.exec(url.pathname);
  if (!m || !view.hook) return json(404, { error: `no such endpoint: ${url.pathname}` });
  if (req.method !== 'POST') return json(405, { error: `${req.method} is not allowed on ${url.pathname}; hooks take POST` }, { allow: 'POST' });
  const site = headers['sec-fetch-site'];
  if (headers.origin !== undefined || (site !== undefined && site !== 'none')) {
    return json(403, { error: 'hooks take requests from servers, not from web pages (Origin or Sec-Fetch-Site was sent)' });
  }
  const a: HookAnswer = view.hook({ target: m[1] as string, headers, body: await readBody(req) });
  return json(a.status, a.body, a.headers);
}
