import type { ConnectionOptions } from 'bullmq';
import { UserError } from '../../core/errors.js';
import type { QueueConfig } from '../../spec/hub-config.js';
import { DEFAULT_PREFIX } from './protocol.js';

/** Where the queue lives, with `${NAME}` references resolved. */
export interface QueueTarget {
  url: string;
  prefix: string;
}

/**
 * hub.yaml's `queue` for type bullmq, with `${NAME}` in the URL taken from the environment
 * (a password kept out of git). Throws a UserError naming what is missing.
 */
export function queueTarget(q: QueueConfig, env: NodeJS.ProcessEnv): QueueTarget {
  const raw = q.url ?? '';
  const missing: string[] = [];
  const whole = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(raw);
  const url = whole ? env[whole[1] as string] ?? (missing.push(whole[1] as string), '') : raw.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) missing.push(name);
    return encodeURIComponent(v ?? '');
  });
  if (missing.length) {
    throw new UserError(`hub.yaml: queue.url refers to ${missing.map((n) => `\${${n}}`).join(', ')}, not set in the hub's environment; set it where the hub runs (e.g. an EnvironmentFile of the systemd unit)`);
  }
  return { url, prefix: q.prefix ?? DEFAULT_PREFIX };
}

/** The URL with any password replaced, for logs, status and errors. */
export function safeUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/)([^@/]*)@/, (_, scheme: string, auth: string) => `${scheme}${auth.includes(':') ? `${auth.split(':')[0]}:***` : '***'}@`);
}

/**
 * BullMQ's connection options for a URL: commands wait for a reconnect instead of failing
 * (Redis down is a pause, not an error), retried every second at most.
 */
export function connectionFor(url: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy: (times: number) => Math.min(1000, 50 * times) };
}
