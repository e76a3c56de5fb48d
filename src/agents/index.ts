import { claudeAgent } from './claude/index.js';
import { commandAgent } from './command/index.js';
import type { AgentType } from './types.js';

/**
 * Every agent CLI the hub can run, by the name connectors give as `agent.type`. A new
 * one is its own folder here, a line in this map, and its name (and options) in
 * schemas/connector.schema.json; test/agents/types.test.ts checks they agree.
 */
export const agentTypes: Readonly<Record<string, AgentType>> = Object.freeze({
  [claudeAgent.name]: claudeAgent,
  [commandAgent.name]: commandAgent,
});

/** What a connector without `agent.type` runs. */
export { DEFAULT_AGENT_TYPE } from './descriptions.js';

/** The agent type of that name; undefined for a name this hub does not know. */
export function findAgentType(name: string): AgentType | undefined {
  return Object.hasOwn(agentTypes, name) ? agentTypes[name] : undefined;
}

/** Why a stored connector cannot run here: its type is not one this hub has. */
export function unknownAgentType(name: string): string {
  return `agent type "${name}" is not one this agent-hub runs (it has: ${Object.keys(agentTypes).join(', ')}); the connector was applied by another version of agent-hub, or its registry row was edited: run \`agent-hub apply\` with this version, or upgrade it`;
}

export type { AgentType } from './types.js';
