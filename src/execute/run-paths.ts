import path from 'node:path';
import type { AgentSpec } from '../core/types.js';
import { describeLink, insideRepo, linkLeavingRepo } from '../spec/paths.js';
import { findAgentType } from '../agents/index.js';

/**
 * Why the agent's working directory, or a repository file its type reads (claude's MCP
 * config), now leads outside the repository by a symlink (one planted after validate), or
 * undefined. Checked right before spawning; an absolute cwd is the connector's explicit
 * choice and is not judged.
 */
export function runPathLeavingRepo(root: string, agent: AgentSpec): string | undefined {
  const files = (findAgentType(agent.type)?.options ?? []).filter((o) => o.repoFile !== undefined).map((o): [string, unknown] => [o.field, agent[o.field]]);
  const fields: Array<[string, unknown]> = [['cwd', agent.cwd], ...files];
  for (const [field, value] of fields) {
    if (typeof value !== 'string' || path.isAbsolute(value)) continue;
    const rel = insideRepo(root, '.', value);
    const link = rel === undefined ? undefined : linkLeavingRepo(root, rel);
    if (link) return `agent.${field} "${value}" leads outside the repository: ${describeLink(root, link)}`;
  }
  return undefined;
}
