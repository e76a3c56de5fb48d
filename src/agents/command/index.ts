import { processFailure, stderrSummary } from '../result.js';
import type { AgentType } from '../types.js';
import { commandDescription } from '../descriptions.js';

/**
 * Any CLI: the connector's argv, the prompt on stdin, stdout as the result. For Codex
 * (`codex exec -`), Gemini CLI, aider, `llm`, or a script. It gets only the base
 * environment and what the connector lists: no hub variable reaches it unasked.
 */
export const commandAgent: AgentType = {
  // Its option and hint: in descriptions.ts, which the checks load without this file.
  ...commandDescription,

  environment: () => ({ env: {}, secrets: [] }),
  preflight: () => undefined,

  invocation(spec) {
    const [command, ...args] = spec.agent.command ?? [];
    return { command: command as string, args };
  },

  interpret(spec, p) {
    const command = spec.agent.command?.[0] ?? 'command';
    const failed = processFailure(p, command, spec.agent.timeout);
    if (failed) return failed;
    if (p.exitCode !== 0) {
      return { ok: false, result: p.stdout || null, errorKind: 'agent-error', error: `${command} exited with code ${p.exitCode}${p.signal ? ` (${p.signal})` : ''}${stderrSummary(p)}` };
    }
    return { ok: true, result: p.stdout.replace(/\n$/, '') };
  },
};
