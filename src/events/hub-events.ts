import type { Db } from '../registry/db.js';
import type { Executor } from '../execute/executor.js';
import type { Logger } from '../log/logger.js';
import type { HubConfig } from '../spec/hub-config.js';
import { parseDuration } from '../core/duration.js';
import { Dispatcher, type DeliverySettings } from '../deliver/dispatcher.js';
import { EventIntake } from './intake.js';
import { Alerts } from './alerts.js';
import { pruneEvents } from '../registry/events.js';
import { pruneOutbox } from '../registry/outbox.js';
import { DEFAULT_AUTHOR } from '../gitstate/author.js';

export interface HubEventsOptions {
  db: Db;
  executor: Executor;
  log: Logger;
  now: () => Date;
  env: NodeJS.ProcessEnv;
  /** The hub's repository. */
  root: string;
  /** hub.yaml as it is now (it may be reloaded). */
  config: () => HubConfig;
  /** The hub's health, for the hub-degraded alert. */
  health: () => { status: 'ok' | 'degraded'; reasons: string[] };
}

/** How often health and skips are looked at for alerts. */
const ALERT_CHECK_MS = 5000;
/** Event payloads and delivered bodies are kept 7 days (a run's retries are over by then), delivery ids 30 (GitHub redelivers within days). */
const KEEP = { payloadsMs: 7 * 86_400_000, idsMs: 30 * 86_400_000 };
const PRUNE_EVERY = 720; // alert checks: once an hour

/** The delivery settings of a hub.yaml, with their defaults. */
export function deliverySettings(c: HubConfig): DeliverySettings {
  return {
    apiUrl: c.github?.apiUrl ?? 'https://api.github.com', token: c.github?.token ?? '${GITHUB_TOKEN}',
    backoffMs: parseDuration(c.deliveries?.backoff ?? '10s') ?? 10_000, maxAttempts: c.deliveries?.maxAttempts ?? 8,
    author: { ...DEFAULT_AUTHOR, ...c.state?.author }, pushTimeoutMs: parseDuration(c.remote?.timeout ?? '2m') ?? 120_000,
  };
}

/** The hub's events: hooks in (intake), deliveries out (the outbox dispatcher). */
export class HubEvents {
  readonly intake: EventIntake;
  readonly dispatcher: Dispatcher;
  readonly alerts: Alerts;
  private timer: NodeJS.Timeout | undefined;
  private checks = 0;
  private readonly db: Db;
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(o: HubEventsOptions) {
    this.intake = new EventIntake({
      db: o.db, log: o.log, now: o.now, env: o.env,
      githubSecretRef: () => o.config().github?.webhookSecret,
      submit: (req) => o.executor.submit(req),
    });
    this.dispatcher = new Dispatcher({ db: o.db, log: o.log, now: o.now, env: o.env, root: o.root, settings: () => deliverySettings(o.config()) });
    this.alerts = new Alerts({ db: o.db, now: o.now, config: o.config, health: o.health });
    this.log = o.log;
    this.db = o.db;
    this.now = o.now;
    // Deliveries queued with a run nudge the dispatcher from the executor; an alert queued now does here.
    o.executor.onFinished((e) => {
      if (this.alerts.runFinished(e)) this.dispatcher.nudge();
    });
  }

  /** Starts sending the outbox (what a crash left in it first). */
  start(): void {
    this.dispatcher.start();
    try {
      this.alerts.missedSlots();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'checking for missed slots failed');
    }
    this.checkAlerts();
    this.timer = setInterval(() => this.checkAlerts(), ALERT_CHECK_MS);
    this.timer.unref();
  }

  /** Health and skips, for alerts; a failure here (a full disk) is logged, never thrown into a timer. */
  checkAlerts(): void {
    try {
      if (this.checks++ % PRUNE_EVERY === 0) {
        pruneEvents(this.db, this.now(), KEEP);
        pruneOutbox(this.db, this.now(), KEEP.payloadsMs);
      }
      this.alerts.check();
      this.dispatcher.nudge();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'checking for alerts failed');
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.dispatcher.stop();
  }
}
