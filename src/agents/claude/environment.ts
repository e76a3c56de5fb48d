import type { TypeEnvironment } from '../types.js';
import { SECRET_NAME } from '../secret-name.js';

/** What Claude Code reads: its authentication and its settings (see ../shared/claude-cli.md). */
const PREFIXES = ['ANTHROPIC_', 'CLAUDE_CODE_', 'CLAUDE_CONFIG_DIR'];
const NAMES = ['API_TIMEOUT_MS', 'DISABLE_AUTOUPDATER', 'DISABLE_TELEMETRY', 'IS_SANDBOX', 'AWS_REGION', 'AWS_PROFILE', 'GOOGLE_APPLICATION_CREDENTIALS'];

/** The hub's Claude variables, passed through: a hub logged in or keyed for Claude runs its connectors so. */
export function claudeEnvironment(hubEnv: NodeJS.ProcessEnv): TypeEnvironment {
  const env: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [name, v] of Object.entries(hubEnv)) {
    if (v === undefined) continue;
    if (PREFIXES.some((p) => name.startsWith(p)) || NAMES.includes(name)) {
      env[name] = v;
      // Authentication and endpoints are secrets; numbers and flags like CLAUDE_CODE_MAX_RETRIES=3 are not.
      if (SECRET_NAME.test(name) || name.endsWith('_URL')) secrets.push(v);
    }
  }
  return { env, secrets };
}
