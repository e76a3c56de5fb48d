import type { AgentType } from './types.js';

/**
 * What checking a connector needs to know of each agent type: the options it owns, the
 * hint when another type's option is set, the instruction files it reads. Apart from the
 * types themselves (their argv, environment, result reading) so that `validate` and a
 * cold apply load none of that.
 */
export type AgentDescription = Pick<AgentType, 'name' | 'options' | 'foreignOptionHint' | 'instructionFiles'>;

export const claudeDescription: AgentDescription = {
  name: 'claude',
  options: [
    { field: 'model' }, { field: 'maxTurns' }, { field: 'allowedTools' }, { field: 'disallowedTools' },
    { field: 'permissionMode' }, { field: 'appendSystemPrompt' }, { field: 'mcpConfig', repoFile: 'MCP config' }, { field: 'addDirs' },
  ],
  instructionFiles: { readBy: 'Claude Code', names: ['claude.md', 'claude.local.md'] },
};

export const commandDescription: AgentDescription = {
  name: 'command',
  options: [{ field: 'command' }],
  foreignOptionHint: 'pass the equivalent flag in agent.command instead',
};

/** Every agent type by name, as agentTypes (index.ts) lists them; test/agents/types.test.ts checks they agree. */
export const agentDescriptions: Readonly<Record<string, AgentDescription>> = Object.freeze({
  [claudeDescription.name]: claudeDescription,
  [commandDescription.name]: commandDescription,
});

/** What a connector without `agent.type` runs. */
export const DEFAULT_AGENT_TYPE = claudeDescription.name;

/** The description of the agent type of that name; undefined for a name this hub does not know. */
export function describeAgentType(name: string): AgentDescription | undefined {
  return Object.hasOwn(agentDescriptions, name) ? agentDescriptions[name] : undefined;
}
