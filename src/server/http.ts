import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Logger } from '../log/logger.js';
import type { App } from './app.js';

export { ListenRefusedError } from './access.js';

/** The web-standard request a node:http request stands for; the body streams, unread until a route asks. */
function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  }
  const method = req.method ?? 'GET';
  const body = method === 'GET' || method === 'HEAD' ? null : (Readable.toWeb(req) as ReadableStream<Uint8Array>);
  // The origin is a placeholder: routes read the path and query, the checks read the Host header.
  return new Request(new URL(req.url ?? '/', 'http://localhost'), { method, headers, body, duplex: 'half' });
}

function write(res: ServerResponse, status: number, headers: Record<string, string>, body: Uint8Array | string): void {
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * How long a client may take to send a whole request (headers and body; the answers, SSE
 * streams included, are not limited). Node's default is 5 minutes: a client trickling a
 * body (slowloris, on a hook reachable from the internet) held a socket that long.
 */
export const REQUEST_TIMEOUT_MS = 30_000;
export const HEADERS_TIMEOUT_MS = 10_000;

/** The app on node:http, for the daemon; everything it answers is decided in app.ts. */
export function createHubServer(app: App, log: Logger): Server {
  return createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: HEADERS_TIMEOUT_MS }, (req, res) => {
    void (async () => {
      let request: Request;
      try {
        request = toRequest(req);
      } catch {
        // Methods fetch forbids (TRACE, TRACK): no route takes them anyway.
        return write(res, 405, { 'content-type': 'application/json; charset=utf-8' }, `${JSON.stringify({ error: `${req.method} is not allowed` })}\n`);
      }
      try {
        const answer = await app.handle(request);
        if (answer.body && answer.headers.get('content-type')?.startsWith('text/event-stream')) {
          // A live stream: written as it comes; a viewer that goes away cancels it.
          res.writeHead(answer.status, Object.fromEntries(answer.headers));
          res.flushHeaders();
          const stream = Readable.fromWeb(answer.body as import('node:stream/web').ReadableStream<Uint8Array>);
          res.on('close', () => stream.destroy());
          stream.on('error', () => res.destroy());
          stream.pipe(res);
          return;
        }
        write(res, answer.status, Object.fromEntries(answer.headers), new Uint8Array(await answer.arrayBuffer()));
      } catch (err) {
        log.error({ err: (err as Error).message, path: req.url }, 'request failed');
        if (!res.headersSent) write(res, 500, { 'content-type': 'application/json; charset=utf-8' }, '{"error":"internal error; see the hub log"}\n');
        else res.destroy();
      }
    })();
  });
}
