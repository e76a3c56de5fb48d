import type { Db } from '../registry/db.js';
import type { Executor } from '../execute/executor.js';
import type { Logger } from '../log/logger.js';
import type { HubConfig } from '../spec/hub-config.js';
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

/** The hub's events: hooks in (intake). */
export class HubEvents {
  readonly intake: EventIntake;

  constructor(o: HubEventsOptions) {
    this.intake = new EventIntake({
      db: o.db, log: o.log, now: o.now, env: o.env,
      githubSecretRef: () => o.config().github?.webhookSecret,
      submit: (req) => o.executor.submit(req),
    });
  }
}
