import type { ConnectorSpec, InputSpec } from '../core/types.js';
import { DEFAULT_AGENT_TYPE } from '../agents/descriptions.js';

/** Hub-wide defaults a connector inherits (hub.yaml `defaults:`). */
export interface SpecDefaults {
  timezone?: string;
  timeout?: string;
}

type Raw = Record<string, unknown>;

/**
 * Fills every default so the rest of the hub never asks "was this set?". Input is schema-valid.
 * The spec's fields keep the file's order, the filled ones follow (id, enabled, timezone,
 * inputs, agent, output, retry, concurrency, budget): its JSON is stored and committed.
 * Built by assignment rather than by spreading optional parts: a cold apply normalizes 5,000.
 */
export function normalize(raw: Raw, id: string, defaults: SpecDefaults): ConnectorSpec {
  const agent = (raw.agent ?? {}) as Raw;
  const output = (raw.output ?? {}) as Raw;
  const retry = (raw.retry ?? {}) as Raw;
  const backoff = (retry.backoff ?? {}) as Raw;
  const inputs: Record<string, InputSpec> = {};
  for (const [name, decl] of Object.entries((raw.inputs ?? {}) as Record<string, Raw>)) {
    const input = { ...(decl as object), type: (decl.type as InputSpec['type']) ?? 'string', required: decl.required === true } as InputSpec;
    // Defined, not assigned: an input named "__proto__" stays an input (and is refused by name) instead of becoming the object's prototype.
    Object.defineProperty(inputs, name, { value: input, enumerable: true, writable: true, configurable: true });
  }
  const timezone = (raw.timezone as string | undefined) ?? defaults.timezone;
  const format = (output.format as 'text' | 'json') ?? 'text';
  const spec: Raw = { ...raw };
  spec.id = id;
  spec.enabled = raw.enabled !== false;
  if (timezone) spec.timezone = timezone;
  spec.inputs = inputs;
  spec.agent = {
    ...(agent as object),
    type: (agent.type as string | undefined) ?? DEFAULT_AGENT_TYPE,
    env: (agent.env as Record<string, string>) ?? {},
    timeout: (agent.timeout as string) ?? defaults.timeout ?? '5m',
  };
  spec.output = { ...(output as object), format };
  spec.retry = {
    attempts: (retry.attempts as number) ?? 1,
    backoff: {
      initial: (backoff.initial as string) ?? '10s',
      max: (backoff.max as string) ?? '5m',
      factor: (backoff.factor as number) ?? 2,
    },
  };
  spec.concurrency = (raw.concurrency as ConnectorSpec['concurrency']) ?? 'forbid';
  // A file delivery is output.saveTo (same rules, same commit); validate refuses a second one.
  const saveTo = fileDelivery(raw);
  if (saveTo && output.saveTo === undefined) spec.output = { ...(output as object), format, saveTo };
  spec.budget = (raw.budget as ConnectorSpec['budget']) ?? {};
  return spec as unknown as ConnectorSpec;
}

/** The path of the first `deliver: [{ type: file, path }]`, if any. */
function fileDelivery(raw: Raw): string | undefined {
  const list = Array.isArray(raw.deliver) ? (raw.deliver as Raw[]) : [];
  const file = list.find((d) => d.type === 'file' && typeof d.path === 'string');
  return file?.path as string | undefined;
}
