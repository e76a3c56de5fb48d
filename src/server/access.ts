import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { UserError } from '../core/errors.js';

/**
 * Who may reach the API: an allowed Host on every request (DNS rebinding), no cross-site
 * mutation (forms, fetch from another page), and the tokens. Decisions only; http.ts answers.
 */
export interface Access {
  /** The address the server listens on (`--host` / `server.host`). */
  bindHost: string;
  /** Extra host names the hub is reached under (`server.allowedHosts`), normalised. */
  allowedHosts: ReadonlySet<string>;
  /** AGENT_HUB_TOKEN: needed (as Bearer) by every POST when set; opens reads too. */
  token?: string;
  /** AGENT_HUB_READ_TOKEN: opens reads only. */
  readToken?: string;
  /** Reads (API, metrics, dashboard, /healthz details) need a token. */
  protectReads: boolean;
}

/** A request refused: 401 (no or wrong token) or 403 (from where or in a form the hub does not accept). */
export class Refusal extends Error {
  constructor(readonly status: 401 | 403, message: string) {
    super(message);
  }
}

/** The hub would be reachable beyond this machine without a token, or reads are to be protected without one. */
export class ListenRefusedError extends UserError {}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** 127.0.0.0/8 (not only 127.0.0.1), ::1 and localhost: addresses no other machine reaches. */
function isLoopback(name: string): boolean {
  return LOOPBACK.has(name) || (isIP(name) === 4 && name.startsWith('127.'));
}

/** A host name as the checks compare it: lower case, no brackets, no trailing dot. */
function normalise(name: string): string {
  return name.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/**
 * The access rules for a server listening on `host`; refuses (ListenRefusedError) a listener
 * beyond loopback without AGENT_HUB_TOKEN, and protected reads without any token.
 * Reads are protected by default beyond loopback or when a read token is set.
 */
export function accessPolicy(host: string, env: NodeJS.ProcessEnv, server: { allowedHosts?: string[]; protectReads?: boolean } = {}): Access {
  const token = env.AGENT_HUB_TOKEN || undefined;
  const readToken = env.AGENT_HUB_READ_TOKEN || undefined;
  const loopback = isLoopback(normalise(host));
  if (!loopback && !token) {
    throw new ListenRefusedError(`refusing to listen on ${host} without a token: set AGENT_HUB_TOKEN (mutating calls then need "Authorization: Bearer <token>"), or listen on 127.0.0.1`);
  }
  const protectReads = server.protectReads ?? (!loopback || readToken !== undefined);
  if (protectReads && !token && !readToken) {
    throw new ListenRefusedError('server.protectReads is true in hub.yaml but no token is set: set AGENT_HUB_READ_TOKEN (or AGENT_HUB_TOKEN) in the environment, or remove server.protectReads');
  }
  return {
    bindHost: normalise(host), allowedHosts: new Set((server.allowedHosts ?? []).map(normalise)),
    ...(token ? { token } : {}), ...(readToken ? { readToken } : {}), protectReads,
  };
}

/** Request headers by lower-case name, as node:http and a web Request (Object.fromEntries) both give them. */
export type RequestHeaders = Readonly<Record<string, string | undefined>>;

/** The name part of a Host header ("[::1]:7420" → "::1"); undefined when it is not a plain host[:port]. */
function hostName(header: string): string | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::\d{1,5})?$/.exec(header.trim());
  return m ? normalise(m[1] as string) : undefined;
}

/**
 * A name a browser can only have reached this machine under: an IP address (DNS rebinding
 * needs a name), localhost and *.localhost (browsers resolve them to loopback themselves),
 * the name the hub listens on, and the names listed in hub.yaml.
 */
function hostAllowed(name: string, a: Access): boolean {
  return isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost') || name === a.bindHost || a.allowedHosts.has(name);
}

/** Refuses a request whose Host is not one the hub answers to. A missing Host (HTTP/1.0 probes) is no browser's request. */
export function checkHost(headers: RequestHeaders, a: Access): void {
  const header = headers.host;
  if (header === undefined) return;
  const name = hostName(header);
  if (name !== undefined && hostAllowed(name, a)) return;
  throw new Refusal(403, `requests for host "${name ?? header}" are refused (a page on another site may have pointed its name at this machine); if the hub is reached under that name, add it to server.allowedHosts in hub.yaml and restart`);
}

/** The host[:port] of a Host header as a browser's Origin would show it for plain HTTP (":80" dropped). */
function sameOriginHost(header: string | undefined): string | undefined {
  if (!header) return undefined;
  try {
    return new URL(`http://${header.trim()}`).host.replace(/\.(?=:|$)/, '').toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Refuses a mutation a web page could send from another site: a cross-site Sec-Fetch-Site, an
 * Origin other than the hub's own (or a name listed in hub.yaml, for a proxy), and any body
 * but JSON (forms and fetch without a preflight can only send text/plain and form types).
 */
export function checkMutation(headers: RequestHeaders, a: Access): void {
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') throw new Refusal(403, `requests from another site are refused (Sec-Fetch-Site: ${site})`);
  const origin = headers.origin;
  if (origin !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    const own = url && (url.protocol === 'http:' || url.protocol === 'https:')
      && (url.host.replace(/\.(?=:|$)/, '') === sameOriginHost(headers.host) || a.allowedHosts.has(normalise(url.hostname)));
    if (!own) throw new Refusal(403, `requests from origin ${origin} are refused: only the hub's own pages may send them; if the hub is served under that name, add it to server.allowedHosts in hub.yaml`);
  }
  if (!/^application\/json\s*(;|$)/i.test(headers['content-type'] ?? '')) {
    throw new Refusal(403, `the body must be JSON: send "Content-Type: application/json" (got ${headers['content-type'] ? `"${headers['content-type']}"` : 'none'})`);
  }
}

/** Constant-time equality that does not reveal the token's length either. */
function same(given: string, token: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** The token a request carries: Bearer always; HTTP Basic's password only where `basic` is allowed (reads). */
function presented(headers: RequestHeaders, basic: boolean): string | undefined {
  const auth = headers.authorization ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(auth)?.[1];
  if (bearer !== undefined) return bearer;
  const encoded = basic ? /^Basic\s+(\S+)\s*$/i.exec(auth)?.[1] : undefined;
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

/** Whether the request may read (true when reads are not protected). */
export function canRead(headers: RequestHeaders, a: Access): boolean {
  if (!a.protectReads) return true;
  const given = presented(headers, true);
  return given !== undefined && [a.token, a.readToken].some((t) => t !== undefined && same(given, t));
}

/** Refuses a read without a token when reads are protected. */
export function checkRead(headers: RequestHeaders, a: Access): void {
  if (!canRead(headers, a)) throw new Refusal(401, 'a token is required to read: Authorization: Bearer $AGENT_HUB_READ_TOKEN (or $AGENT_HUB_TOKEN); in a browser, any user name and the token as password');
}

/**
 * Refuses a mutation without AGENT_HUB_TOKEN as Bearer. Basic is not taken: a browser sends a
 * remembered password along with any page's request, a Bearer header only when told to.
 */
export function checkWrite(headers: RequestHeaders, a: Access): void {
  // Reads behind a token but no token for writes: a hub whose results are closed must not start runs for anyone.
  if (a.token === undefined && a.protectReads) throw new Refusal(401, 'runs and reconciles through the API need AGENT_HUB_TOKEN (reads are protected, and only a read token is set)');
  if (a.token === undefined) return;
  const given = presented(headers, false);
  if (given === undefined || !same(given, a.token)) throw new Refusal(401, 'a bearer token is required: Authorization: Bearer $AGENT_HUB_TOKEN');
}
