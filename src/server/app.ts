import type { Logger } from '../log/logger.js';
import type { ExecutionStatus } from '../registry/executions.js';
import { connectorPage, homePage, runPage } from './dashboard.js';
import { PAGE_CSP } from './dashboard-layout.js';
import { canRead, checkHost, checkMutation, checkRead, checkWrite, Refusal, type Access, type RequestHeaders } from './access.js';
import type { HubView } from './view.js';
import { answerHook } from './hooks.js';
import { runEventStream } from './events.js';

/** The API, metrics and dashboard as a function of web-standard requests: no port, no process. */
export interface App {
  /** The answer to one request; the access checks read its Host header, as they would on a socket, not its URL. */
  handle(req: Request): Promise<Response>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly details?: unknown) {
    super(message);
  }
}

/**
 * No other site may frame a page: a hostile page could lay its own content over the
 * dashboard's Run now, Pause and Resume buttons (on loopback they need no token) and have
 * the user click them.
 */
const NO_FRAMES = { 'x-frame-options': 'DENY', 'content-security-policy': "frame-ancestors 'none'" };

function send(status: number, body: unknown, type = 'application/json', extra: Record<string, string> = {}): Response {
  const text = type === 'application/json' ? `${JSON.stringify(body, null, 2)}\n` : String(body);
  const csp = type === 'text/html' ? { 'content-security-policy': PAGE_CSP } : {};
  return new Response(text, { status, headers: { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...NO_FRAMES, ...csp, ...extra } });
}

const MAX_BODY = 1024 * 1024;

/** The body as a JSON object ({} when empty); read in pieces so an endless body stops at 1 MB. */
async function readJson(req: Request): Promise<Record<string, unknown>> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    for await (const chunk of req.body) {
      size += chunk.length;
      if (size > MAX_BODY) throw new HttpError(413, 'request body over 1 MB');
      chunks.push(chunk);
    }
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'the body must be a JSON object, like {"inputs": {"pr": 12}}');
  }
}

const STATUSES = new Set(['pending', 'running', 'success', 'failed']);

interface Call {
  match: RegExpExecArray;
  url: URL;
  req: Request;
  headers: RequestHeaders;
}

type Route = [method: string, path: RegExp, answer: (c: Call) => Response | Promise<Response>];

function routes(view: HubView, access: Access): Route[] {
  return [
    ['GET', /^\/healthz$/, ({ headers }) => {
      // 200 whenever the hub answers (a liveness probe must not restart it over a full disk or a remote
      // that is down); "degraded" with the reasons when writes fail or a git operation keeps failing.
      // Details only for those who may read.
      const { status, reasons, running, queued, storage, git } = view.health();
      if (!canRead(headers, access)) return send(200, { status });
      return send(200, { status, reasons, running, queued, storage, ...(git ? { git } : {}) });
    }],
    ['GET', /^\/api\/connectors$/, () => send(200, view.connectors())],
    ['GET', /^\/api\/connectors\/([a-z0-9-]+)$/, ({ match }) => {
      const c = view.connector(match[1] as string);
      if (!c) throw new HttpError(404, `no connector "${match[1]}"`);
      return send(200, c);
    }],
    ['POST', /^\/api\/connectors\/([a-z0-9-]+)\/run$/, async ({ match, req }) => {
      const inputs = (await readJson(req)).inputs ?? {};
      if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) throw new HttpError(400, '"inputs" must be an object');
      const r = view.run(match[1] as string, inputs as Record<string, unknown>);
      switch (r.status) {
        case 'queued': return send(202, { id: r.id, status: 'queued', url: `/api/executions/${r.id}` });
        case 'failed': return send(409, { id: r.id, error: r.message, reason: r.reason });
        case 'invalid': return send(r.notFound ? 404 : 400, { error: r.message, details: r.details });
        default: return send(r.reason === 'stopping' || r.reason === 'storage' ? 503 : 409, { error: r.message, reason: r.reason });
      }
    }],
    ['POST', /^\/api\/connectors\/([a-z0-9-]+)\/pause$/, async ({ match, req }) => {
      const body = await readJson(req);
      const text = (v: unknown, name: string) => {
        if (v !== undefined && (typeof v !== 'string' || v.length > 500)) throw new HttpError(400, `"${name}" must be a string of at most 500 characters`);
        return (v as string | undefined) || null;
      };
      const p = view.pause(match[1] as string, text(body.by, 'by') ?? 'api', text(body.reason, 'reason'));
      if (!p) throw new HttpError(404, `no connector "${match[1]}"`);
      return send(200, { paused: true, ...p });
    }],
    ['POST', /^\/api\/connectors\/([a-z0-9-]+)\/resume$/, ({ match }) => {
      const was = view.resume(match[1] as string);
      if (was === undefined) throw new HttpError(404, `no connector "${match[1]}"`);
      return send(200, { paused: false, was });
    }],
    ['GET', /^\/api\/executions$/, ({ url }) => {
      const status = url.searchParams.get('status');
      if (status && !STATUSES.has(status)) throw new HttpError(400, `status must be one of ${[...STATUSES].join(', ')}`);
      const limit = Number(url.searchParams.get('limit') ?? 50);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit must be an integer from 1 to 1000');
      const connector = url.searchParams.get('connector');
      return send(200, { executions: view.executions({ ...(connector ? { connectorId: connector } : {}), ...(status ? { status: status as ExecutionStatus } : {}), limit }) });
    }],
    ['GET', /^\/api\/executions\/([\w-]+)$/, ({ match }) => {
      const e = view.execution(match[1] as string);
      if (!e) throw new HttpError(404, `no run "${match[1]}"`);
      return send(200, e);
    }],
    ['GET', /^\/api\/workers$/, async () => send(200, view.workers ? await view.workers() : { type: 'local' })],
    ['GET', /^\/api\/executions\/([\w-]+)\/events$/, async ({ match, url, headers }) => {
      const id = match[1] as string;
      const run = view.execution(id);
      if (!run) throw new HttpError(404, `no run "${id}"`);
      const after = Number(headers['last-event-id'] ?? url.searchParams.get('after') ?? 0);
      // A finished run's steps may be only in the committed state (their local copy pruned).
      const finished = (run.status === 'success' || run.status === 'failed') && !view.isLive(id);
      return runEventStream(view, id, Number.isInteger(after) && after > 0 ? after : 0, finished ? await view.committedTranscript(id) : undefined);
    }],
    ['GET', /^\/api\/executions\/([\w-]+)\/transcript$/, async ({ match }) => {
      const id = match[1] as string;
      if (!view.execution(id)) throw new HttpError(404, `no run "${id}"`);
      return send(200, { events: (await view.committedTranscript(id)) ?? [] });
    }],
    ['POST', /^\/api\/reconcile$/, async () => send(200, await view.reconcile())],
    ['GET', /^\/metrics$/, async () => {
      const m = await view.metrics();
      return send(200, m.text, m.contentType.split(';')[0]);
    }],
    ['GET', /^\/$/, async ({ url }) => send(200, homePage(view, url.searchParams, view.workers ? await view.workers() : undefined), 'text/html')],
    ['GET', /^\/connectors\/([a-z0-9-]+)$/, ({ match }) => {
      const page = connectorPage(view, match[1] as string, { tokenRequired: access.token !== undefined });
      if (!page) throw new HttpError(404, `no connector "${match[1]}"`);
      return send(200, page, 'text/html');
    }],
    ['GET', /^\/runs\/([\w-]+)$/, async ({ match }) => {
      const page = await runPage(view, match[1] as string, { tokenRequired: access.token !== undefined });
      if (!page) throw new HttpError(404, `no run "${match[1]}"`);
      return send(200, page, 'text/html');
    }],
  ];
}

/** The hub's HTTP answers: every request passes the access checks (access.ts) before its route. */
export function createApp(view: HubView, access: Access, log: Logger): App {
  const table = routes(view, access);
  // A missing token is routine (a browser's first request); a refused Host or Origin is worth a
  // look, once per reason and host: a hostile page repeating its request must not fill the disk.
  const warned = new Set<string>();
  const logRefusal = (req: Request, headers: RequestHeaders, url: URL, err: Refusal) => {
    const fields = { method: req.method, path: url.pathname, host: headers.host, origin: headers.origin };
    if (err.status === 401 || warned.has(err.message) || warned.size >= 100) return log.debug(fields, `request refused: ${err.message}`);
    warned.add(err.message);
    log.warn(fields, `request refused: ${err.message} (further ones like it are logged at debug level)`);
  };

  return {
    async handle(req) {
      const url = new URL(req.url);
      const headers: RequestHeaders = Object.fromEntries(req.headers);
      try {
        checkHost(headers, access);
        // Hooks carry their own proof (a signature, a token): the API token and the JSON-only rule are not theirs.
        if (url.pathname.startsWith('/hooks/')) return await answerHook(view, req, headers, url);
        const matching = table.filter(([, re]) => re.test(url.pathname));
        if (!matching.length) throw new HttpError(404, `no such endpoint: ${url.pathname}`);
        const route = matching.find(([method]) => method === req.method);
        if (!route) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`);
        if (route[0] === 'GET') {
          if (url.pathname !== '/healthz') checkRead(headers, access);
        } else {
          checkMutation(headers, access);
          checkWrite(headers, access);
        }
        return await route[2]({ match: route[1].exec(url.pathname) as RegExpExecArray, url, req, headers });
      } catch (err) {
        if (err instanceof Refusal) {
          logRefusal(req, headers, url, err);
          // For reads a browser asks for the token as a password (any user name) and then shows the pages.
          const challenge = req.method === 'GET' ? 'Basic realm="agent-hub", charset="UTF-8"' : 'Bearer realm="agent-hub"';
          return send(err.status, { error: err.message }, 'application/json', err.status === 401 ? { 'www-authenticate': challenge } : {});
        }
        if (err instanceof HttpError) return send(err.status, { error: err.message, ...(err.details ? { details: err.details } : {}) });
        log.error({ err: (err as Error).message, path: url.pathname }, 'request failed');
        return send(500, { error: 'internal error; see the hub log' });
      }
    },
  };
}
