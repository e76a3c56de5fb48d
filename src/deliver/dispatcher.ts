import type { Db } from '../registry/db.js';
import { dueItems, markSending, nextDue, settle, type OutboxItem } from '../registry/outbox.js';
import type { Logger } from '../log/logger.js';
import { resolveRef } from '../events/signature.js';
import { Redactor } from '../execute/redact.js';
import { sendComment, sendIssue } from './github.js';
import type { SendResult } from './http.js';
import { sendWebhook } from './webhook.js';
import { deliverBranch } from './branch.js';
import path from 'node:path';
import type { Author } from '../gitstate/author.js';

export interface DispatcherOptions {
  db: Db;
  log: Logger;
  now: () => Date;
  env: NodeJS.ProcessEnv;
  /** The hub's repository: a branch delivery's relative agent.cwd is taken from here, and it is never the branch's repository. */
  root: string;
  /** hub.yaml, read at each send: the GitHub API, the default token, the retry settings. */
  settings: () => DeliverySettings;
}

export interface DeliverySettings {
  apiUrl: string;
  /** `${NAME}` of the default GitHub token. */
  token: string;
  backoffMs: number;
  maxAttempts: number;
  /** Who branch deliveries' commits are by (state.author). */
  author: Author;
  /** How long a push may take (remote.timeout). */
  pushTimeoutMs: number;
}

/** How often the outbox is looked at besides the nudges (runs of `agent-hub run` queue into it too). */
const POLL_MS = 2000;

/**
 * Sends the outbox, one item at a time, oldest first. Each item is marked `sending` (and
 * committed) before its request leaves, and `sent` or back to `pending` with a backoff after
 * it, each attempt recorded. An item found `sending` after a crash is in doubt: GitHub
 * deliveries look for what they would post first; webhooks resend with the same
 * Idempotency-Key. Failing for good (4xx, out of attempts) is recorded, not retried.
 */
export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** Until start(): a hub started without its loops (tests, --init-only) leaves the outbox to the daemon. */
  private stopped = true;
  /** Aborts the request in flight when the hub stops: its item stays in doubt, looked for at the next start. */
  private aborter = new AbortController();

  constructor(private readonly o: DispatcherOptions) {}

  start(): void {
    this.stopped = false;
    this.aborter = new AbortController();
    this.arm(0);
  }

  /** Something was queued: look now (once the current pass ends). */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.arm(0);
  }

  /** Stops looking; waits for the item being sent (its outcome is recorded). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.aborter.abort(new Error('the hub is stopping'));
    await this.running;
  }

  /** One pass over what is due; resolves when it is done (tests and `drain`). */
  pass(): Promise<void> {
    if (!this.running) {
      this.running = this.sendDue().finally(() => {
        this.running = undefined;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.arm(0);
        } else {
          const next = nextDue(this.o.db);
          this.arm(next ? Math.min(POLL_MS, Math.max(0, Date.parse(next) - this.o.now().getTime())) : POLL_MS);
        }
      });
    }
    return this.running;
  }

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pass().catch((err: unknown) => this.o.log.error({ err: (err as Error).message }, 'delivery pass failed')), ms);
    this.timer.unref();
  }

  private async sendDue(): Promise<void> {
    for (;;) {
      const items = dueItems(this.o.db, this.o.now());
      if (!items.length || this.stopped) return;
      for (const item of items) {
        if (this.stopped) return;
        await this.sendOne(item);
      }
    }
  }

  private async sendOne(item: OutboxItem): Promise<void> {
    const s = this.o.settings();
    const inDoubt = item.status === 'sending' || item.attempts > 0;
    const attempt = markSending(this.o.db, item.id, new Date(this.o.now().getTime() + s.backoffMs));
    let result: SendResult;
    const secrets: string[] = [];
    try {
      result = await this.send(item, s, inDoubt, secrets);
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      result = { ok: false, retryable: true, detail: `${(err as Error).message}${cause ? ` (${cause})` : ''}` };
    }
    const detail = new Redactor(secrets).text(result.detail);
    const now = this.o.now();
    if (result.ok) {
      settle(this.o.db, item.id, attempt, { at: now, status: 'sent', outcome: 'sent', detail });
      this.o.log.info({ delivery: item.id, run: item.runId, kind: item.kind, target: item.target, attempt }, `delivered: ${detail}`);
      return;
    }
    const last = !result.retryable || attempt >= s.maxAttempts;
    const delay = Math.min(s.backoffMs * 2 ** (attempt - 1), 10 * 60_000);
    settle(this.o.db, item.id, attempt, { at: now, status: last ? 'failed' : 'pending', outcome: 'failed', detail, nextAt: new Date(now.getTime() + delay) });
    this.o.log.warn({ delivery: item.id, run: item.runId, kind: item.kind, target: item.target, attempt, retry: !last }, `delivery failed: ${detail}`);
  }

  private async send(item: OutboxItem, s: DeliverySettings, inDoubt: boolean, secrets: string[]): Promise<SendResult> {
    const p = item.payload;
    if (typeof p.error === 'string') return { ok: false, retryable: false, detail: p.error };
    const resolve = (ref: unknown) => {
      const r = resolveRef(typeof ref === 'string' ? ref : undefined, this.o.env);
      if (r?.value) secrets.push(r.value);
      return r;
    };
    if (item.kind === 'webhook') {
      const secret = p.secret ? resolve(p.secret) : undefined;
      if (p.secret && !secret?.value) return { ok: false, retryable: false, detail: `${String(p.secret)} is not set in the hub's environment` };
      return sendWebhook({ url: String(p.url), body: p.body, key: `agent-hub-${item.runId ?? 'hub'}-${item.id}`, signal: this.aborter.signal, ...(secret?.value ? { secret: secret.value } : {}) });
    }
    if (item.kind === 'branch') {
      const cwd = path.resolve(this.o.root, String(p.cwd));
      return deliverBranch({ cwd, branch: String(p.branch), remote: String(p.remote ?? ''), message: String(p.message) }, this.o.root, s.author, s.pushTimeoutMs);
    }
    const token = resolve(p.token ?? s.token);
    if (!token?.value) return { ok: false, retryable: false, detail: `no GitHub token: set ${token?.name ?? 'GITHUB_TOKEN'} in the hub's environment` };
    const g = { apiUrl: s.apiUrl.replace(/\/$/, ''), token: token.value, signal: this.aborter.signal };
    if (item.kind === 'github-comment') {
      return sendComment(g, { repository: String(p.repository), number: Number(p.number), body: String(p.body), marker: String(p.marker), update: p.update === true }, inDoubt);
    }
    if (item.kind === 'github-issue' || item.kind === 'alert-issue') {
      const marker = String(p.body).match(/<!-- agent-hub:[^>]*-->/g)?.pop() ?? '<!-- agent-hub:';
      return sendIssue(g, { repository: String(p.repository), title: String(p.title), body: String(p.body), marker, ...(Array.isArray(p.labels) ? { labels: p.labels as string[] } : {}), ...(p.state === 'open' || p.state === 'closed' ? { state: p.state } : {}) });
    }
    return { ok: false, retryable: false, detail: `unknown delivery kind ${item.kind}` };
  }
}
