import type Handlebars from 'handlebars';
import { createRequire } from 'node:module';
import type { ConnectorVersion } from '../core/types.js';
import type { RunEvent } from '../core/events.js';
import { helpers } from './helpers.js';
import { UserError } from '../core/errors.js';

/** What a template sees. Secrets are never part of it. */
export interface RenderContext {
  inputs: Record<string, unknown>;
  connector: { id: string; name: string; description: string; schedule: string | null; timezone: string };
  run: { id: string; trigger: string; scheduledFor: string | null; attempt: number };
  /** Only for a run an event started. */
  event?: RunEvent;
}

export interface RunInfo {
  id: string;
  trigger: string;
  scheduledFor?: Date | null;
  attempt?: number;
  now?: Date;
  event?: RunEvent;
}

let env: typeof Handlebars | undefined;

/** Handlebars with our helpers, loaded at the first render: a hub or a plan that renders nothing does without it (~40 ms, ~5 MB). */
function handlebars(): typeof Handlebars {
  if (!env) {
    env = (createRequire(import.meta.url)('handlebars') as typeof Handlebars).create();
    env.registerHelper(helpers as unknown as Handlebars.HelperDeclareSpec);
  }
  return env;
}
const cache = new Map<string, HandlebarsTemplateDelegate>();

function compile(source: string): HandlebarsTemplateDelegate {
  let fn = cache.get(source);
  if (!fn) {
    // noEscape: prompts are not HTML. strict: a missing variable throws instead of rendering ''.
    fn = handlebars().compile(source, { noEscape: true, strict: true });
    if (cache.size > 500) cache.clear();
    cache.set(source, fn);
  }
  return fn;
}

/** Error from rendering a template: a missing variable, a helper failing. */
export class RenderError extends UserError {}

/** Renders a version's prompt for a run with already checked inputs. */
export function renderPrompt(version: ConnectorVersion, inputs: Record<string, unknown>, run: RunInfo): string {
  return renderWith(version.template, version, inputs, run);
}

/** Renders another template of a connector (like output.saveTo) in the same context as its prompt. */
export function renderWith(source: string, version: ConnectorVersion, inputs: Record<string, unknown>, run: RunInfo): string {
  const { spec } = version;
  const timezone = spec.timezone ?? 'UTC';
  const context: RenderContext = {
    inputs,
    connector: { id: spec.id, name: spec.name ?? spec.id, description: spec.description ?? '', schedule: spec.schedule ?? null, timezone },
    run: { id: run.id, trigger: run.trigger, scheduledFor: run.scheduledFor ? run.scheduledFor.toISOString() : null, attempt: run.attempt ?? 1 },
    ...(run.event ? { event: run.event } : {}),
  };
  const partials = Object.fromEntries(Object.entries(version.partials).map(([name, src]) => [name, compile(src)]));
  try {
    return compile(source)(context, { partials, data: { now: run.now ?? new Date(), timezone } });
  } catch (err) {
    // A connector that reads its event, run without one (by hand, on its schedule): say so rather than "undefined".
    const noEvent = spec.on && !run.event && /\bevent\b/.test(source) ? ' (this run has no event: only runs a delivery started have one; try agent-hub render <id> --event payload.json)' : '';
    throw new RenderError(`${spec.id}: cannot render the prompt: ${(err as Error).message.split('\n')[0]}${noEvent}`);
  }
}
