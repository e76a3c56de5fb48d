import type { Delivery, RunEvent } from '../core/events.js';
import type { ConnectorVersion } from '../core/types.js';
import type { Finish } from '../registry/executions.js';
import { renderWith } from '../template/render.js';

export const DEFAULT_MAX_BODY_BYTES = 60_000;

/** One outbox item as planned from a finished run: what to send, where; credentials as `${NAME}` only. */
export interface PlannedDelivery {
  kind: Delivery['type'];
  target: string;
  payload: Record<string, unknown>;
}

/** What a run's deliveries are planned from. */
export interface FinishedRun {
  id: string;
  version: ConnectorVersion;
  inputs: Record<string, unknown>;
  trigger: string;
  attempt: number;
  scheduledFor: Date | null;
  event?: RunEvent;
  finish: Finish;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

/** `text` cut to `max` bytes (UTF-8, never inside a character), with a note of what was cut. */
export function cutBody(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  const note = `\n\n…[cut by agent-hub: ${bytes.length} bytes, limit ${max}]`;
  let end = Math.max(0, max - Buffer.byteLength(note));
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + note;
}

/**
 * Text as Slack shows it literally: `&`, `<` and `>` escaped, as Slack asks. Otherwise an
 * agent's output (led by an event's text) could mention `<!channel>` or `<@U123>`, or show a
 * link under any label (`<https://evil|Reset your password>`). Bare URLs are still linked.
 */
export function slackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An agent's text with any hub marker defused: printed output must not pass for another connector's comment or issue. */
export function defuse(text: string): string {
  return text.replace(/<!--\s*agent-hub:/gi, '<!-- (quoted) agent-hub:');
}

/** The marker a connector's comment carries: found again to update it, and never taken as a command (no loops). */
export function commentMarker(connectorId: string, key?: string): string {
  return key ? `<!-- agent-hub:${connectorId} ${key} -->` : `<!-- agent-hub:${connectorId} -->`;
}

/** owner/name as GitHub allows them: no `.` or `..` for a name, nothing that changes the API path. */
const REPOSITORY = /^(?!\.\.?\/)[A-Za-z0-9_.-]+\/(?!\.\.?$)[A-Za-z0-9_.-]+$/;

/**
 * The issue or pull request a GitHub event is about, and its repository. Only GitHub's own
 * (signed by GitHub) payloads address a delivery: a generic webhook's payload is whatever its
 * caller wrote, and must not point the hub's GitHub token at another repository.
 */
function eventSubject(event: RunEvent | undefined): { repository?: string; number?: number } {
  if (event?.source !== 'github') return {};
  const p = event.payload;
  const repository = obj(p.repository)?.full_name;
  const number = obj(p.issue)?.number ?? obj(p.pull_request)?.number ?? p.number;
  return {
    ...(typeof repository === 'string' && REPOSITORY.test(repository) ? { repository } : {}),
    ...(typeof number === 'number' && Number.isSafeInteger(number) && number > 0 ? { number } : {}),
  };
}

/**
 * The deliveries a finished run owes, in declaration order: those whose `when` fits the
 * outcome. Bodies come from the result (its `body`/`title`/`labels` fields with
 * fromResult), cut to the limit whatever the agent printed. Throws nothing: a delivery that
 * cannot be addressed is planned with an `error`, recorded as failed by the sender.
 */
export function planDeliveries(run: FinishedRun): PlannedDelivery[] {
  const { spec } = run.version;
  const ok = run.finish.status === 'success';
  const text = run.finish.result ?? '';
  let fields: Obj = {};
  if (ok && spec.output.format === 'json') {
    try {
      fields = obj(JSON.parse(text)) ?? {};
    } catch {
      fields = {};
    }
  }
  const subject = eventSubject(run.event);
  const out: PlannedDelivery[] = [];
  (spec.deliver ?? []).forEach((d, index) => {
    const when = d.when ?? 'success';
    if (d.type === 'file' || (when === 'success' && !ok) || (when === 'failure' && ok)) return;
    const max = d.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const failed = `Run ${run.id} of ${spec.id} failed (${run.finish.errorKind ?? 'error'}): ${run.finish.error ?? ''}`.trim();
    const rawBody = defuse(!ok ? failed : d.fromResult && typeof fields.body === 'string' ? fields.body : text);
    const base = { index, runId: run.id, connector: spec.id, status: run.finish.status, ...(run.event ? { deliveryId: run.event.deliveryId } : {}) };
    let title: string | undefined;
    try {
      title = d.title ? renderWith(d.title, run.version, run.inputs, { id: run.id, trigger: run.trigger, scheduledFor: run.scheduledFor, attempt: run.attempt, ...(run.event ? { event: run.event } : {}) }) : d.fromResult && typeof fields.title === 'string' ? fields.title : undefined;
    } catch (err) {
      out.push({ kind: d.type, target: '(title)', payload: { ...base, error: `could not render the title: ${(err as Error).message}` } });
      return;
    }
    if (d.type === 'branch') {
      const render = (src: string) => renderWith(src, run.version, run.inputs, { id: run.id, trigger: run.trigger, scheduledFor: run.scheduledFor, attempt: run.attempt, ...(run.event ? { event: run.event } : {}) });
      try {
        const branch = render(d.branch ?? 'agent-hub/{{connector.id}}/{{run.id}}');
        const message = d.message ? render(d.message) : `${spec.id}: changes of run ${run.id}\n\nAgent-Hub-Run: ${run.id}\nAgent-Hub-Connector: ${spec.id}`;
        out.push({ kind: 'branch', target: branch, payload: { ...base, cwd: spec.agent.cwd, branch, remote: d.remote ?? 'origin', message } });
      } catch (err) {
        out.push({ kind: 'branch', target: '(branch)', payload: { ...base, error: `could not render the branch name or message: ${(err as Error).message}` } });
      }
      return;
    }
    const labels = d.fromResult && Array.isArray(fields.labels) ? fields.labels.filter((l): l is string => typeof l === 'string') : d.labels;
    if (d.type === 'webhook') {
      const body = d.slack ? { text: slackText(cutBody(rawBody, max)) } : { connector: spec.id, run: { id: run.id, status: run.finish.status, trigger: run.trigger, ...(run.event ? { deliveryId: run.event.deliveryId } : {}) }, result: ok ? (spec.output.format === 'json' ? fields : cutBody(text, max)) : null, ...(ok ? {} : { error: failed }) };
      out.push({ kind: 'webhook', target: d.url as string, payload: { ...base, url: d.url, body, ...(d.secret ? { secret: d.secret } : {}) } });
      return;
    }
    const repository = d.repository ?? subject.repository;
    const token = d.token;
    if (!repository) {
      out.push({ kind: d.type, target: '(no repository)', payload: { ...base, error: `no repository: ${run.event && run.event.source !== 'github' ? 'a webhook\'s payload does not name one (only GitHub events do), and the delivery names none: set repository (and number)' : 'the event had none and the delivery names none'}` } });
      return;
    }
    if (!REPOSITORY.test(repository)) {
      out.push({ kind: d.type, target: '(no repository)', payload: { ...base, error: `repository "${repository}" is not owner/name` } });
      return;
    }
    if (d.type === 'github-issue') {
      const issueTitle = title ?? `${spec.name ?? spec.id}`;
      const body = `${cutBody(rawBody, max)}\n\n${commentMarker(spec.id, 'issue')}`;
      out.push({ kind: d.type, target: `${repository} "${issueTitle}"`, payload: { ...base, repository, title: issueTitle, body, ...(labels ? { labels } : {}), ...(token ? { token } : {}) } });
      return;
    }
    const number = d.number ?? subject.number;
    if (number === undefined) {
      out.push({ kind: d.type, target: repository, payload: { ...base, error: 'no issue or pull request: the event had none and the delivery names none' } });
      return;
    }
    const marker = d.update ? commentMarker(spec.id) : commentMarker(spec.id, `run:${run.id}#${index}`);
    out.push({ kind: d.type, target: `${repository}#${number}`, payload: { ...base, repository, number, update: d.update === true, marker, body: `${cutBody(rawBody, max)}\n\n${marker}`, ...(token ? { token } : {}) } });
  });
  return out;
}
