import type { Db } from '../registry/db.js';
import type { Executor } from '../execute/executor.js';
import type { Logger } from '../log/logger.js';
import type { HubConfig } from '../spec/hub-config.js';
import { parseDuration } from '../core/duration.js';
import { Dispatcher, type DeliverySettings } from '../deliver/dispatcher.js';
import { EventIntake } from './intake.js';

export interface HubEventsOptions {
  db: Db;
  executor: Executor;
  log: Logger;
  now: () => Date;
  env: NodeJS.ProcessEnv;
  /** hub.yaml as it is now (it may be reloaded). */
  config: () => HubConfig;
}

/** The delivery settings of a hub.yaml, with their defaults. */
export function deliverySettings(c: HubConfig): DeliverySettings {
  return {
    apiUrl: c.github?.apiUrl ?? 'https://api.github.com', token: c.github?.token ?? '${GITHUB_TOKEN}',
    backoffMs: parseDuration(c.deliveries?.backoff ?? '10s') ?? 10_000, maxAttempts: c.deliveries?.maxAttempts ?? 8,
  };
}

/** The hub's events: hooks in (intake), deliveries out (the outbox dispatcher). */
export class HubEvents {
  readonly intake: EventIntake;
  readonly dispatcher: Dispatcher;

  constructor(o: HubEventsOptions) {
    this.intake = new EventIntake({
      db: o.db, log: o.log, now: o.now, env: o.env,
      githubSecretRef: () => o.config().github?.webhookSecret,
      submit: (req) => o.executor.submit(req),
    });
    this.dispatcher = new Dispatcher({ db: o.db, log: o.log, now: o.now, env: o.env, settings: () => deliverySettings(o.config()) });
    // A finished run may have queued deliveries in its record's transaction.
    o.executor.onFinished(() => this.dispatcher.nudge());
  }

  /** Starts sending the outbox (what a crash left in it first). */
  start(): void {
    this.dispatcher.start();
  }

  async stop(): Promise<void> {
    await this.dispatcher.stop();
  }
}
