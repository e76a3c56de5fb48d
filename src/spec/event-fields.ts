import type { ConnectorSpec } from '../core/types.js';

/** What a template sees of `event` (src/core/events.ts RunEvent). */
export const EVENT_FIELDS = ['name', 'action', 'payload', 'deliveryId', 'source', 'command'];

/**
 * The top-level payload fields of GitHub events whose shape is known (the documented ones a
 * prompt reads); a connector listening only to these has its `event.payload.<field>` checked.
 */
const COMMON = ['action', 'sender', 'repository', 'organization', 'installation', 'enterprise'];
export const GITHUB_PAYLOAD_FIELDS: Readonly<Record<string, readonly string[]>> = {
  issues: [...COMMON, 'issue', 'label', 'assignee', 'changes', 'milestone'],
  issue_comment: [...COMMON, 'issue', 'comment', 'changes'],
  pull_request: [...COMMON, 'number', 'pull_request', 'label', 'assignee', 'requested_reviewer', 'requested_team', 'changes', 'before', 'after'],
  pull_request_review: [...COMMON, 'pull_request', 'review', 'changes'],
  pull_request_review_comment: [...COMMON, 'pull_request', 'comment', 'changes'],
  push: [...COMMON, 'ref', 'before', 'after', 'created', 'deleted', 'forced', 'base_ref', 'compare', 'commits', 'head_commit', 'pusher'],
  release: [...COMMON, 'release', 'changes'],
  workflow_run: [...COMMON, 'workflow_run', 'workflow'],
  discussion: [...COMMON, 'discussion', 'label', 'answer', 'changes'],
  discussion_comment: [...COMMON, 'discussion', 'comment', 'changes'],
};

/**
 * A problem with a template's `event.…` path for this connector, or undefined. Without `on:`
 * there is no event; with only GitHub events of known shape, the payload's first field is
 * checked against them; a generic webhook's payload is whatever its sender posts.
 */
export function eventRefProblem(path: string, spec: ConnectorSpec): { message: string; hint?: string } | undefined {
  const [, field, sub] = path.split('.');
  if (!spec.on) return { message: `{{${path}}} uses the event, but this connector starts on none`, hint: 'add on: { github: { events: [...] } } or on: { webhook: {...} }, or remove the reference' };
  if (field === undefined) return undefined;
  if (!EVENT_FIELDS.includes(field)) return { message: `{{${path}}} is not a field of event`, hint: `event has: ${EVENT_FIELDS.join(', ')}` };
  if (field !== 'payload' || sub === undefined || spec.on.webhook || !spec.on.github) return undefined;
  const shapes = spec.on.github.events.map((e) => GITHUB_PAYLOAD_FIELDS[e]);
  if (shapes.some((s) => s === undefined)) return undefined;
  const known = [...new Set(shapes.flatMap((s) => s ?? []))];
  if (known.includes(sub)) return undefined;
  return { message: `{{${path}}}: no ${spec.on.github.events.join(' or ')} event has a payload field "${sub}"`, hint: `their payloads have: ${known.join(', ')}` };
}
