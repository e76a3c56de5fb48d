import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Hub } from '../hub.js';
import { RunRequestError } from '../execute/executor.js';
import { getExecution, listExecutions, type ExecutionStatus } from '../registry/executions.js';
import { connectorStatus, connectorStatuses, orphanInvalidFiles } from '../registry/status.js';
import { getConnector } from '../registry/connectors.js';
import type { Logger } from '../log/logger.js';
import type { HubMetrics } from './metrics.js';
import { homePage, runPage } from './dashboard.js';
import { canRead, checkHost, checkMutation, checkRead, checkWrite, Refusal, type Access } from './access.js';

export { ListenRefusedError } from './access.js';

export interface ServerOptions {
  hub: Hub;
  metrics: HubMetrics;
  log: Logger;
  /** Allowed hosts, tokens, protected reads (accessPolicy()). */
  access: Access;
  /** Runs a reconcile the way the daemon does (metrics, logs). */
  reconcile: () => Promise<unknown>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly details?: unknown) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = type === 'application/json' ? `${JSON.stringify(body, null, 2)}\n` : String(body);
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new HttpError(413, 'request body over 1 MB');
    chunks.push(chunk as Buffer);
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

/** The HTTP API, the metrics endpoint and the dashboard, on node:http. */
export function createHubServer(o: ServerOptions): Server {
  const { hub } = o;
  const routes: Array<[string, RegExp, (m: RegExpExecArray, url: URL, req: IncomingMessage, res: ServerResponse) => Promise<void> | void]> = [
    ['GET', /^\/healthz$/, (_m, _u, req, res) => {
      // 200 whenever the hub answers (a liveness probe must not restart it over a full disk or a remote
      // that is down); "degraded" with the reasons when writes fail or a git operation keeps failing.
      // Details only for those who may read.
      const git = hub.inGit ? hub.gitState.health() : undefined;
      const { status, reasons, storage } = hub.health();
      if (!canRead(req.headers, o.access)) return send(res, 200, { status });
      send(res, 200, { status, reasons, running: hub.executor.active, queued: hub.executor.queued, storage, ...(git ? { git } : {}) });
    }],
    ['GET', /^\/api\/connectors$/, (_m, _u, _q, res) => {
      const connectors = connectorStatuses(hub.db).map((c) => ({ ...c, nextRun: hub.scheduler.nextRun(c.id)?.toISOString() ?? c.nextRun }));
      send(res, 200, { connectors, invalidFiles: orphanInvalidFiles(hub.db, connectors) });
    }],
    ['GET', /^\/api\/connectors\/([a-z0-9-]+)$/, (m, _u, _q, res) => {
      const c = connectorStatus(hub.db, m[1] as string);
      if (!c) throw new HttpError(404, `no connector "${m[1]}"`);
      const row = getConnector(hub.db, c.id);
      send(res, 200, { ...c, nextRun: hub.scheduler.nextRun(c.id)?.toISOString() ?? c.nextRun, spec: row?.version.spec, template: row?.version.template });
    }],
    ['POST', /^\/api\/connectors\/([a-z0-9-]+)\/run$/, async (m, _u, req, res) => {
      const body = await readJson(req);
      const inputs = body.inputs ?? {};
      if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) throw new HttpError(400, '"inputs" must be an object');
      let r;
      try {
        r = hub.run(m[1] as string, inputs as Record<string, unknown>, 'api');
      } catch (err) {
        if (err instanceof RunRequestError) throw new HttpError(err.code === 'not-found' ? 404 : 400, err.message, err.details);
        throw err;
      }
      if (r.status === 'queued') return send(res, 202, { id: r.id, status: 'queued', url: `/api/executions/${r.id}` });
      if (r.status === 'failed') return send(res, 409, { id: r.id, error: r.message, reason: r.reason });
      send(res, r.reason === 'stopping' || r.reason === 'storage' ? 503 : 409, { error: r.message, reason: r.reason });
    }],
    ['GET', /^\/api\/executions$/, (_m, url, _q, res) => {
      const status = url.searchParams.get('status');
      if (status && !STATUSES.has(status)) throw new HttpError(400, `status must be one of ${[...STATUSES].join(', ')}`);
      const limit = Number(url.searchParams.get('limit') ?? 50);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpError(400, 'limit must be an integer from 1 to 1000');
      const connector = url.searchParams.get('connector');
      send(res, 200, { executions: listExecutions(hub.db, { ...(connector ? { connectorId: connector } : {}), ...(status ? { status: status as ExecutionStatus } : {}), limit }) });
    }],
    ['GET', /^\/api\/executions\/([\w-]+)$/, (m, _u, _q, res) => {
      const e = getExecution(hub.db, m[1] as string);
      if (!e) throw new HttpError(404, `no run "${m[1]}"`);
      send(res, 200, e);
    }],
    ['POST', /^\/api\/reconcile$/, async (_m, _u, _q, res) => send(res, 200, await o.reconcile())],
    ['GET', /^\/metrics$/, async (_m, _u, _q, res) => send(res, 200, await o.metrics.registry.metrics(), o.metrics.registry.contentType.split(';')[0])],
    ['GET', /^\/$/, (_m, url, _q, res) => send(res, 200, homePage(hub, url.searchParams), 'text/html')],
    ['GET', /^\/runs\/([\w-]+)$/, (m, _u, _q, res) => {
      const page = runPage(hub, m[1] as string);
      if (!page) throw new HttpError(404, `no run "${m[1]}"`);
      send(res, 200, page, 'text/html');
    }],
  ];

  // A missing token is routine (a browser's first request); a refused Host or Origin is worth a
  // look, once per reason and host: a hostile page repeating its request must not fill the disk.
  const warned = new Set<string>();
  const logRefusal = (req: IncomingMessage, url: URL, err: Refusal) => {
    const fields = { method: req.method, path: url.pathname, host: req.headers.host, origin: req.headers.origin };
    if (err.status === 401 || warned.has(err.message) || warned.size >= 100) return o.log.debug(fields, `request refused: ${err.message}`);
    warned.add(err.message);
    o.log.warn(fields, `request refused: ${err.message} (further ones like it are logged at debug level)`);
  };

  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    void (async () => {
      try {
        checkHost(req.headers, o.access);
        const matching = routes.filter(([, re]) => re.test(url.pathname));
        if (!matching.length) throw new HttpError(404, `no such endpoint: ${url.pathname}`);
        const route = matching.find(([method]) => method === req.method);
        if (!route) throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`);
        if (route[0] === 'GET') {
          if (url.pathname !== '/healthz') checkRead(req.headers, o.access);
        } else {
          checkMutation(req.headers, o.access);
          checkWrite(req.headers, o.access);
        }
        await route[2](route[1].exec(url.pathname) as RegExpExecArray, url, req, res);
      } catch (err) {
        if (err instanceof Refusal) {
          logRefusal(req, url, err);
          // For reads a browser asks for the token as a password (any user name) and then shows the pages.
          if (err.status === 401) res.setHeader('www-authenticate', req.method === 'GET' ? 'Basic realm="agent-hub", charset="UTF-8"' : 'Bearer realm="agent-hub"');
          send(res, err.status, { error: err.message });
        } else if (err instanceof HttpError) send(res, err.status, { error: err.message, ...(err.details ? { details: err.details } : {}) });
        else {
          o.log.error({ err: (err as Error).message, path: url.pathname }, 'request failed');
          send(res, 500, { error: 'internal error; see the hub log' });
        }
      }
    })();
  });
}
