/** `on:` in a connector: the events that start it, beside its schedule (schemas/connector.schema.json). */
export interface EventTriggers {
  github?: GithubTrigger;
  webhook?: { secret?: string; token?: string };
  rateLimit?: { runs: number; per?: string };
}

export interface GithubTrigger {
  events: string[];
  actions?: string[];
  repositories?: string[];
  branches?: string[];
  labels?: string[];
  command?: string;
  authorAssociations?: string[];
}

export type DeliveryType = 'github-comment' | 'github-issue' | 'webhook' | 'file' | 'branch';

/** One `deliver:` action the hub performs after a run, with its own credentials. */
export interface Delivery {
  type: DeliveryType;
  when?: 'success' | 'failure' | 'always';
  repository?: string;
  number?: number;
  update?: boolean;
  title?: string;
  labels?: string[];
  token?: string;
  url?: string;
  slack?: boolean;
  secret?: string;
  path?: string;
  fromResult?: boolean;
  maxBodyBytes?: number;
  branch?: string;
  remote?: string;
  message?: string;
}

/** The event a run started on, as its template sees it (`event.name`, `event.action`, `event.payload`). */
export interface RunEvent {
  source: 'github' | 'webhook';
  name: string;
  action: string | null;
  deliveryId: string;
  payload: Record<string, unknown>;
  /** For a comment that matched `on.github.command`: the command and the text after it. */
  command?: { name: string; args: string };
}
