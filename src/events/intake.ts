import type { RunEvent } from '../core/events.js';
import type { ConnectorSpec } from '../core/types.js';
import { parseDuration } from '../core/duration.js';
import type { Db } from '../registry/db.js';
import { getConnector } from '../registry/connectors.js';
import { githubListeners, recordRunEvent, releaseDelivery, setDeliveryRuns, takeDelivery, takenDelivery } from '../registry/events.js';
import { RunRequestError, type RunRequest, type SubmitResult } from '../execute/requests.js';
import type { Logger } from '../log/logger.js';
import { matchGithub } from './github-filter.js';
import { createHash } from 'node:crypto';
import { RateLimiter } from './rate-limit.js';
import { resolveRef, sameSecret, verifySignature } from './signature.js';

/** What a hook answers; `outcome` is what /metrics counts. */
export interface HookAnswer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  outcome: HookOutcome;
}

export type HookOutcome = 'accepted' | 'ignored' | 'ping' | 'bad-signature' | 'unauthorized' | 'unknown-connector' | 'too-large'
  | 'replay' | 'rate-limited' | 'bad-request' | 'not-configured' | 'refused';

/** A hook request as the server read it: the target (`github` or a connector id), lower-case headers, the raw body. */
export interface HookRequest {
  target: string;
  headers: Readonly<Record<string, string | undefined>>;
  /** The raw bytes (signatures are over them); 'too-large' when the body passed the limit. */
  body: Uint8Array | 'too-large';
}

export interface IntakeOptions {
  db: Db;
  log: Logger;
  now: () => Date;
  env: NodeJS.ProcessEnv;
  /** hub.yaml's `github.webhookSecret`, read at each delivery (hub.yaml may change). */
  githubSecretRef: () => string | undefined;
  /** Asks for a run; the executor records it (trigger event) or refuses it. */
  submit: (req: RunRequest & { event: RunEvent }) => SubmitResult;
}

export const MAX_HOOK_BODY = 1024 * 1024;

/** The SHA-256 of a body, hex: the key a signed body is taken once by. */
const bodyDigest = (body: Uint8Array) => createHash('sha256').update(body).digest('hex');
const DEFAULT_RATE = { runs: 30, per: '1m' };

const answer = (status: number, outcome: HookOutcome, body: Record<string, unknown>, headers?: Record<string, string>): HookAnswer => ({ status, outcome, body, ...(headers ? { headers } : {}) });

/** Deeper than any real payload (GitHub's nest about 6 levels); deep enough to overflow the stack of what stores and renders it. */
export const MAX_PAYLOAD_DEPTH = 64;
const TOO_DEEP = `the body nests arrays and objects more than ${MAX_PAYLOAD_DEPTH} levels deep`;

/** Whether JSON text nests arrays and objects deeper than `max` (strings skipped), without parsing it. */
function nestsDeeper(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** The body as a JSON object: application/json, or GitHub's form encoding (`payload=`); 'too-deep' past MAX_PAYLOAD_DEPTH. */
function parsePayload(body: Uint8Array, contentType: string | undefined): Record<string, unknown> | 'too-deep' | undefined {
  let text = Buffer.from(body).toString('utf8');
  if (/^application\/x-www-form-urlencoded/i.test(contentType ?? '')) text = new URLSearchParams(text).get('payload') ?? '';
  if (nestsDeeper(text, MAX_PAYLOAD_DEPTH)) return 'too-deep';
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Turns signed deliveries into runs: checks the signature or token, refuses replays (a
 * delivery id is taken once, in the registry), filters, rate-limits per connector, asks
 * for the runs and answers at once. Whatever it refuses starts nothing.
 */
export class EventIntake {
  private readonly limiter = new RateLimiter();
  /** Answers by source and outcome, for /metrics. */
  readonly counts = new Map<string, number>();
  /** Hook and outcome of the refusals logged at info level already. */
  private readonly warned = new Set<string>();

  constructor(private readonly o: IntakeOptions) {}

  handle(req: HookRequest): HookAnswer {
    const source = req.target === 'github' ? 'github' : 'webhook';
    const a = req.target === 'github' ? this.github(req) : this.webhook(req);
    const key = `${source}|${a.outcome}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (a.status >= 400) this.logRefusal(req.target, a);
    return a;
  }

  /**
   * A refusal is logged once per hook and outcome at info level, then at debug: anyone on the
   * internet can send forged deliveries to /hooks/github, and must not fill the disk with log
   * lines. /metrics counts every one.
   */
  private logRefusal(target: string, a: HookAnswer): void {
    const key = `${target}|${a.outcome}`;
    const fields = { hook: target, status: a.status, outcome: a.outcome };
    if (this.warned.has(key) || this.warned.size >= 100) return this.o.log.debug(fields, `hook refused: ${String(a.body.error)}`);
    this.warned.add(key);
    this.o.log.info(fields, `hook refused: ${String(a.body.error)} (further ones like it are logged at debug level, and counted in /metrics)`);
  }

  private github(req: HookRequest): HookAnswer {
    const ref = resolveRef(this.o.githubSecretRef() ?? '${GITHUB_WEBHOOK_SECRET}', this.o.env);
    if (!ref?.value) return answer(503, 'not-configured', { error: `GitHub webhooks are not set up on this hub: set ${ref?.name ?? 'GITHUB_WEBHOOK_SECRET'} in the hub's environment (or github.webhookSecret in hub.yaml)` });
    if (req.body === 'too-large') return answer(413, 'too-large', { error: `the body is over ${MAX_HOOK_BODY} bytes` });
    if (!verifySignature(ref.value, req.body, req.headers['x-hub-signature-256'])) {
      return answer(401, 'bad-signature', { error: 'X-Hub-Signature-256 is missing or does not match the body: check the webhook secret' });
    }
    const name = req.headers['x-github-event'];
    const id = req.headers['x-github-delivery'];
    if (!name || !id) return answer(400, 'bad-request', { error: 'X-GitHub-Event and X-GitHub-Delivery are required' });
    if (name === 'ping') return answer(200, 'ping', { pong: true });
    const payload = parsePayload(req.body, req.headers['content-type']);
    if (payload === 'too-deep') return answer(400, 'bad-request', { error: TOO_DEEP });
    if (!payload) return answer(400, 'bad-request', { error: 'the body is not a JSON object' });
    const action = typeof payload.action === 'string' ? payload.action : null;
    // The delivery id and the event name are not signed: the body is. A captured delivery sent
    // again under a new id (or as another event) is still the same body, taken once.
    return this.start([`github:${id}`, `github-body:${bodyDigest(req.body)}`], id, (runs, ignored) => {
      for (const connectorId of githubListeners(this.o.db)) {
        const c = getConnector(this.o.db, connectorId);
        const trigger = c?.version.spec.on?.github;
        if (!c || !trigger || !trigger.events.includes(name)) continue;
        const m = matchGithub(trigger, name, payload);
        if (!m.ok) {
          ignored.push({ connector: c.id, reason: m.reason });
          continue;
        }
        const event: RunEvent = { source: 'github', name, action, deliveryId: id, payload, ...(m.command ? { command: m.command } : {}) };
        this.submit(c.version.spec, event, runs, ignored);
      }
    });
  }

  private webhook(req: HookRequest): HookAnswer {
    const c = getConnector(this.o.db, req.target);
    const hook = c?.active && c.enabled ? c.version.spec.on?.webhook : undefined;
    if (!c || !hook) return answer(404, 'unknown-connector', { error: `no active connector "${req.target}" takes webhooks (on.webhook)` });
    const refs = [hook.secret, hook.token].map((r) => resolveRef(r, this.o.env)).filter((r) => r !== undefined);
    const unset = refs.find((r) => !r.value);
    if (unset && refs.every((r) => !r.value)) return answer(503, 'not-configured', { error: `${c.id}'s webhook is not set up: set ${unset.name} in the hub's environment` });
    const fallback = !hook.secret && !hook.token ? this.o.env.AGENT_HUB_TOKEN || undefined : undefined;
    if (!hook.secret && !hook.token && !fallback) return answer(503, 'not-configured', { error: `${c.id}'s webhook has no secret: declare on.webhook.secret or on.webhook.token, or set AGENT_HUB_TOKEN` });
    if (req.body === 'too-large') return answer(413, 'too-large', { error: `the body is over ${MAX_HOOK_BODY} bytes` });
    const secret = resolveRef(hook.secret, this.o.env)?.value;
    const token = resolveRef(hook.token, this.o.env)?.value ?? fallback;
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const signed = secret !== undefined && verifySignature(secret, req.body, req.headers['x-hub-signature-256']);
    const carried = token !== undefined && bearer !== undefined && sameSecret(bearer, token);
    if (!signed && !carried) {
      return answer(401, secret ? 'bad-signature' : 'unauthorized', { error: secret ? 'X-Hub-Signature-256 is missing or does not match the body (HMAC-SHA256 of the raw body with the secret)' : 'Authorization: Bearer <token> is missing or wrong' });
    }
    const id = req.headers['idempotency-key'];
    if (!id || id.length > 200) return answer(400, 'bad-request', { error: 'an Idempotency-Key header (up to 200 characters) is required: the hub starts one run per key' });
    const payload = parsePayload(req.body, req.headers['content-type']);
    if (payload === 'too-deep') return answer(400, 'bad-request', { error: TOO_DEEP });
    if (!payload) return answer(400, 'bad-request', { error: 'the body must be a JSON object' });
    const event: RunEvent = { source: 'webhook', name: req.headers['x-event-name'] || 'webhook', action: typeof payload.action === 'string' ? payload.action : null, deliveryId: id, payload };
    // Idempotency-Key is not signed: a signed body is taken once whatever key comes with it. A
    // bearer token proves nothing about the body (whoever holds it may send anything), so no such key.
    const keys = [`hook:${c.id}:${id}`, ...(signed ? [`hook-body:${c.id}:${bodyDigest(req.body)}`] : [])];
    return this.start(keys, id, (runs, ignored) => this.submit(c.version.spec, event, runs, ignored));
  }

  /**
   * Takes the delivery's keys (its id, and the digest of a signed body), runs `match`, and
   * answers; a delivery that started nothing is released, so it may be sent again.
   */
  private start(keys: string[], id: string, match: (runs: Array<{ connector: string; id: string }>, ignored: Ignored[]) => void): HookAnswer {
    const [key, ...others] = keys as [string, ...string[]];
    const earlier = takenDelivery(this.o.db, key);
    if (earlier) return answer(409, 'replay', { error: `delivery ${id} was received before; it started nothing new`, runs: earlier });
    const copied = others.map((k) => takenDelivery(this.o.db, k)).find((r) => r !== undefined);
    if (copied) return answer(409, 'replay', { error: `delivery ${id} has the same signed body as one received before (a replay under a new id); it started nothing new. A sender that means two runs sends two different bodies (an id or a time in each)`, runs: copied });
    for (const k of keys) takeDelivery(this.o.db, k, this.o.now());
    const runs: Array<{ connector: string; id: string }> = [];
    const ignored: Ignored[] = [];
    try {
      match(runs, ignored);
    } finally {
      for (const k of keys) {
        if (runs.length) setDeliveryRuns(this.o.db, k, runs.map((r) => r.id));
        else releaseDelivery(this.o.db, k);
      }
    }
    if (runs.length) return answer(202, 'accepted', { delivery: id, runs, ignored });
    const limited = ignored.find((i) => i.retryAfterMs !== undefined);
    if (limited && ignored.every((i) => i.retryAfterMs !== undefined)) {
      return answer(429, 'rate-limited', { error: `rate limit of ${limited.connector} reached (on.rateLimit)`, ignored }, { 'retry-after': String(Math.ceil((limited.retryAfterMs ?? 1000) / 1000)) });
    }
    const refused = ignored.find((i) => i.refused);
    if (refused) return answer(409, 'refused', { error: refused.reason, ignored });
    return answer(202, 'ignored', { delivery: id, runs, ignored });
  }

  private submit(spec: ConnectorSpec, event: RunEvent, runs: Array<{ connector: string; id: string }>, ignored: Ignored[]): void {
    const rate = spec.on?.rateLimit ?? DEFAULT_RATE;
    const taken = this.limiter.take(spec.id, rate.runs, parseDuration(rate.per ?? DEFAULT_RATE.per) ?? 60_000, this.o.now().getTime());
    if (!taken.ok) {
      ignored.push({ connector: spec.id, reason: 'rate limit reached', retryAfterMs: taken.retryAfterMs });
      return;
    }
    let r: SubmitResult;
    try {
      r = this.o.submit({ connectorId: spec.id, trigger: 'event', event });
    } catch (err) {
      // Inputs without a default that an event cannot give: the connector's to fix.
      if (!(err instanceof RunRequestError)) throw err;
      ignored.push({ connector: spec.id, reason: err.message, refused: true });
      return;
    }
    if (r.status === 'refused') {
      ignored.push({ connector: spec.id, reason: r.message, refused: true });
      return;
    }
    // Listed first: the run exists, so its delivery stays taken even if recording the event fails.
    runs.push({ connector: spec.id, id: r.id });
    recordRunEvent(this.o.db, r.id, event);
  }
}

interface Ignored {
  connector: string;
  reason: string;
  retryAfterMs?: number;
  refused?: boolean;
}
