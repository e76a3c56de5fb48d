import type { AgentSpec } from '../core/types.js';

/**
 * Claude Code's permission modes from the strictest to the loosest (`claude --help`, 2.1.x).
 * An unset mode is `default`.
 */
export const PERMISSION_MODES = ['plan', 'default', 'dontAsk', 'acceptEdits', 'auto', 'bypassPermissions'] as const;

/** What a claude agent may do, from its options and the flags in its `args`. */
export interface Access {
  permissionMode: string;
  allowedTools: string[];
  disallowedTools: string[];
  mcpConfig: string[];
  addDirs: string[];
}

/** How loose a mode is (higher is looser); an unknown mode counts as the loosest. */
export function modeRank(mode: string): number {
  const i = (PERMISSION_MODES as readonly string[]).indexOf(mode);
  return i < 0 ? PERMISSION_MODES.length : i;
}

/** The access a claude agent gets; flags given in `args` count, as the CLI reads them after ours. */
export function accessOf(agent: AgentSpec): Access {
  const access: Access = {
    permissionMode: agent.permissionMode ?? 'default',
    allowedTools: [...(agent.allowedTools ?? [])],
    disallowedTools: [...(agent.disallowedTools ?? [])],
    mcpConfig: agent.mcpConfig ? [agent.mcpConfig] : [],
    addDirs: [...(agent.addDirs ?? [])],
  };
  const args = agent.args ?? [];
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = splitFlag(args[i] as string);
    const values = (): string[] => {
      if (inline !== undefined) return [inline];
      const out: string[] = [];
      while (i + 1 < args.length && !(args[i + 1] as string).startsWith('-')) out.push(args[++i] as string);
      return out;
    };
    if (flag === '--dangerously-skip-permissions') access.permissionMode = 'bypassPermissions';
    else if (flag === '--permission-mode') access.permissionMode = values()[0] ?? access.permissionMode;
    else if (flag === '--allowedTools' || flag === '--allowed-tools') access.allowedTools.push(...values().flatMap(splitTools));
    else if (flag === '--disallowedTools' || flag === '--disallowed-tools') access.disallowedTools.push(...values().flatMap(splitTools));
    else if (flag === '--mcp-config') access.mcpConfig.push(...values());
    else if (flag === '--add-dir') access.addDirs.push(...values());
  }
  return access;
}

function splitFlag(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}

/** `"Bash(git *) Edit"` or `"Read,Grep"` as the CLI splits them: on commas and spaces outside parentheses. */
function splitTools(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let word = '';
  for (const ch of value) {
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (depth === 0 && (ch === ',' || ch === ' ')) {
      if (word) out.push(word);
      word = '';
    } else word += ch;
  }
  if (word) out.push(word);
  return out;
}
