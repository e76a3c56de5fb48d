import type { ConnectorSpec, InputSpec } from '../core/types.js';
import { DEFAULT_AGENT_TYPE } from '../agents/index.js';

/** Hub-wide defaults a connector inherits (hub.yaml `defaults:`). */
export interface SpecDefaults {
  timezone?: string;
  timeout?: string;
}

type Raw = Record<string, unknown>;

/** Fills every default so the rest of the hub never asks "was this set?". Input is schema-valid. */
export function normalize(raw: Raw, id: string, defaults: SpecDefaults): ConnectorSpec {
  const agent = (raw.agent ?? {}) as Raw;
  const output = (raw.output ?? {}) as Raw;
  const retry = (raw.retry ?? {}) as Raw;
  const backoff = (retry.backoff ?? {}) as Raw;
  // From entries, not by assignment: an input named "__proto__" stays an input (and is refused by name) instead of becoming the object's prototype.
  const inputs: Record<string, InputSpec> = Object.fromEntries(Object.entries((raw.inputs ?? {}) as Record<string, Raw>).map(([name, decl]) =>
    [name, { ...(decl as object), type: (decl.type as InputSpec['type']) ?? 'string', required: decl.required === true } as InputSpec]));
  const timezone = (raw.timezone as string | undefined) ?? defaults.timezone;
  return {
    ...(raw as object),
    id,
    enabled: raw.enabled !== false,
    ...(timezone ? { timezone } : {}),
    inputs,
    agent: {
      ...(agent as object),
      type: (agent.type as string | undefined) ?? DEFAULT_AGENT_TYPE,
      env: (agent.env as Record<string, string>) ?? {},
      timeout: (agent.timeout as string) ?? defaults.timeout ?? '5m',
    },
    output: { ...(output as object), format: (output.format as 'text' | 'json') ?? 'text' },
    retry: {
      attempts: (retry.attempts as number) ?? 1,
      backoff: {
        initial: (backoff.initial as string) ?? '10s',
        max: (backoff.max as string) ?? '5m',
        factor: (backoff.factor as number) ?? 2,
      },
    },
    concurrency: (raw.concurrency as ConnectorSpec['concurrency']) ?? 'forbid',
    // A file delivery is output.saveTo (same rules, same commit); validate refuses a second one.
    ...(fileDelivery(raw) && output.saveTo === undefined ? { output: { ...(output as object), format: (output.format as 'text' | 'json') ?? 'text', saveTo: fileDelivery(raw) } } : {}),
    budget: (raw.budget as ConnectorSpec['budget']) ?? {},
  } as ConnectorSpec;
}

/** The path of the first `deliver: [{ type: file, path }]`, if any. */
function fileDelivery(raw: Raw): string | undefined {
  const list = Array.isArray(raw.deliver) ? (raw.deliver as Raw[]) : [];
  const file = list.find((d) => d.type === 'file' && typeof d.path === 'string');
  return file?.path as string | undefined;
}
