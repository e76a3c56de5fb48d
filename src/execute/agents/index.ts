import type { ConnectorSpec } from '../../core/types.js';
import { claudeAgent } from './claude.js';
import { commandAgent } from './command.js';
import type { Agent } from './types.js';

export function agentFor(spec: ConnectorSpec): Agent {
  return spec.agent.type === 'command' ? commandAgent : claudeAgent;
}
