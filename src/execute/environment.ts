/**
 * The environment an agent runs with: a minimal base, what the agent type needs, and what
 * the connector lists. `${NAME}` references are resolved from the hub's environment now,
 * at spawn time, and their values are secrets: never stored, logged or committed.
 */

/** Always passed: enough for a process to find programs, a home and a locale. */
const BASE = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'USER'];

/** What Claude Code reads: its authentication and its settings (see ../shared/claude-cli.md). */
const CLAUDE_PREFIXES = ['ANTHROPIC_', 'CLAUDE_CODE_', 'CLAUDE_CONFIG_DIR'];
const CLAUDE_NAMES = ['API_TIMEOUT_MS', 'DISABLE_AUTOUPDATER', 'DISABLE_TELEMETRY', 'IS_SANDBOX', 'AWS_REGION', 'AWS_PROFILE', 'GOOGLE_APPLICATION_CREDENTIALS'];

/** Names whose values are secrets whatever their use. */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)/i;

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

export function agentEnvironment(type: 'claude' | 'command', connectorEnv: Record<string, string>, hubEnv: NodeJS.ProcessEnv = process.env): AgentEnvironment {
  const env: Record<string, string> = {};
  const secrets = new Set<string>();
  const missing: string[] = [];
  const pass = (name: string) => {
    const v = hubEnv[name];
    if (v !== undefined) env[name] = v;
  };
  BASE.forEach(pass);
  if (type === 'claude') {
    for (const [name, v] of Object.entries(hubEnv)) {
      if (v === undefined) continue;
      if (CLAUDE_PREFIXES.some((p) => name.startsWith(p)) || CLAUDE_NAMES.includes(name)) {
        env[name] = v;
        // Authentication and endpoints are secrets; numbers and flags like CLAUDE_CODE_MAX_RETRIES=3 are not.
        if (SECRET_NAME.test(name) || name.endsWith('_URL')) secrets.add(v);
      }
    }
  }
  for (const [name, raw] of Object.entries(connectorEnv)) {
    env[name] = resolveRefs(raw, hubEnv, secrets, missing);
  }
  for (const [name, v] of Object.entries(env)) if (SECRET_NAME.test(name) && v) secrets.add(v);
  return { env, secrets: [...secrets], missing };
}
