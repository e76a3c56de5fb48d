import { onTestFinished } from 'vitest';
import { Hub, type HubOptions } from '../../src/hub.js';
import { HubMetrics } from '../../src/server/metrics.js';
import { accessPolicy } from '../../src/server/access.js';
import { createApp } from '../../src/server/app.js';
import { hubView, metricsSource } from '../../src/server/hub-view.js';
import type { Logger } from '../../src/log/logger.js';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body when it is JSON, else {}. */
  json: T;
}

export interface HubApp {
  hub: Hub;
  /** Every log line so far, as the daemon's JSON log would show it. */
  logs: Array<Record<string, unknown> & { level: string; msg: string }>;
  /** A request as a client sends it to http://127.0.0.1:7420 (Host set, a POST as JSON); `headers` may override both. */
  request<T = Record<string, unknown>>(path: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Answer<T>>;
}

/** A logger that keeps its lines, for tests that check what the operator is told. */
function memoryLogger(lines: HubApp['logs']): Logger {
  const at = (level: string) => (obj: object, msg = '') => void lines.push({ ...(obj as Record<string, unknown>), level, msg });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * A real hub on `repo`, started, with the server's app in front of it: the daemon's answers
 * without a process or a port. `env` holds the tokens and the fake agent's PATH.
 */
export async function startHubApp(repo: string, env: NodeJS.ProcessEnv, opts: Partial<HubOptions> = {}): Promise<HubApp> {
  const logs: HubApp['logs'] = [];
  const log = memoryLogger(logs);
  const hub = new Hub({ repo, env, log, killGraceMs: 200, ...opts });
  const metrics = new HubMetrics(metricsSource(hub));
  onTestFinished(async () => {
    try {
      await hub.stop(0);
    } catch {
      // stopped by the test already
    }
  });
  await hub.start();
  const app = createApp(hubView(hub, metrics), accessPolicy('127.0.0.1', env, hub.config.server), log);
  const request = async <T>(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer<T>> => {
    const method = init.method ?? 'GET';
    const headers = { host: '127.0.0.1:7420', ...(method === 'POST' ? { 'content-type': 'application/json' } : {}), ...init.headers };
    const res = await app.handle(new Request(`http://127.0.0.1:7420${path}`, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) }));
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {}) as T };
  };
  return { hub, logs, request };
}
