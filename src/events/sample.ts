import type { RunEvent } from '../core/events.js';
import type { ConnectorSpec } from '../core/types.js';
import { matchGithub } from './github-filter.js';

/**
 * The event a delivery with this payload would give a connector's template (for `render
 * --event`), and, for GitHub, why it would not start the connector at all.
 */
export function sampleEvent(spec: ConnectorSpec, payload: Record<string, unknown>, name?: string): { event: RunEvent; ignored?: string } {
  const github = spec.on?.github;
  const action = typeof payload.action === 'string' ? payload.action : null;
  if (!github || (spec.on?.webhook && name === undefined)) {
    return { event: { source: 'webhook', name: name ?? 'webhook', action, deliveryId: 'render', payload } };
  }
  const eventName = name ?? github.events[0] as string;
  const m = matchGithub(github, eventName, payload);
  const event: RunEvent = { source: 'github', name: eventName, action, deliveryId: 'render', payload, ...(m.ok && m.command ? { command: m.command } : {}) };
  return m.ok ? { event } : { event, ignored: m.reason };
}
