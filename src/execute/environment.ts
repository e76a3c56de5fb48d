import { findAgentType } from '../agents/index.js';
import { SECRET_NAME } from '../agents/secret-name.js';

/**
 * The environment an agent runs with: a minimal base, what the agent type needs, and what
 * the connector lists. `${NAME}` references are resolved from the hub's environment now,
 * at spawn time, and their values are secrets: never stored, logged or committed.
 */

/** Always passed: enough for a process to find programs, a home and a locale. */
const BASE = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER'];

export interface AgentEnvironment {
  env: Record<string, string>;
  /** Values to redact wherever the run's data is stored or logged. */
  secrets: string[];
  /** `${NAME}` references the hub's environment does not have. */
  missing: string[];
}

const REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Resolves `${NAME}` (and `$$` to a literal `$`) against the hub's environment. */
export function resolveRefs(value: string, from: NodeJS.ProcessEnv, used: Set<string>, missing: string[]): string {
  return value.replace(REF, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    const v = from[name as string];
    if (v === undefined) {
      missing.push(name as string);
      return '';
    }
    used.add(v);
    return v;
  });
}

/**
 * The base, what the agent type takes from the hub (see its `environment`), then the
 * connector's `agent.env`. A type this hub does not know gets nothing of its own (its run
 * fails before spawning; this still names the connector's secrets for redaction).
 */
export function agentEnvironment(type: string, connectorEnv: Record<string, string>, hubEnv: NodeJS.ProcessEnv = process.env): AgentEnvironment {
  const env: Record<string, string> = {};
  const missing: string[] = [];
  const pass = (name: string) => {
    const v = hubEnv[name];
    if (v !== undefined) env[name] = v;
  };
  BASE.forEach(pass);
  const own = findAgentType(type)?.environment(hubEnv) ?? { env: {}, secrets: [] };
  Object.assign(env, own.env);
  const secrets = new Set<string>(own.secrets);
  for (const [name, raw] of Object.entries(connectorEnv)) {
    env[name] = resolveRefs(raw, hubEnv, secrets, missing);
  }
  for (const [name, v] of Object.entries(env)) if (SECRET_NAME.test(name) && v) secrets.add(v);
  return { env, secrets: [...secrets], missing };
}
