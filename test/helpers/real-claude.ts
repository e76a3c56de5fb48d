import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The real Claude Code CLI when it is installed for tests (`scripts/install-real-claude.sh`,
 * which `.ci/run` runs; or `AGENT_HUB_REAL_CLAUDE=/path/to/claude`), else null and the
 * end-to-end tests that need it are skipped.
 */
export function realClaude(): string | null {
  const candidates = [
    process.env.AGENT_HUB_REAL_CLAUDE,
    path.join(process.env.AGENT_HUB_CLAUDE_CACHE ?? path.join(os.homedir(), '.cache/agent-hub/claude-code-2.1.197'), 'node_modules/.bin/claude'),
  ];
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? null;
}

/** The environment for the real CLI talking to a stand-in: no login, no traffic beyond it, a HOME of its own. */
export function realClaudeEnv(apiUrl: string, home: string): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: apiUrl,
    ANTHROPIC_API_KEY: 'sk-ant-test-not-a-real-key',
    HOME: home,
    CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
  };
}
