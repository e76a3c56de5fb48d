import path from 'node:path';
import { processFailure, stderrSummary } from '../result.js';
import type { AgentType } from '../types.js';
import { claudeDescription } from '../descriptions.js';
import { claudeEnvironment } from './environment.js';
import { parseResult, partialResult, usageOf } from './result.js';
import { outcomeOf } from './outcome.js';
import { streamSteps } from './stream.js';

/**
 * Claude Code in headless mode: `claude -p --output-format stream-json --verbose` plus the
 * connector's options, checked against `claude --help` of 2.1.197. The prompt goes to
 * stdin; each line of its output is an event of the transcript, the last one its result.
 */
export const claudeAgent: AgentType = {
  // Its options and instruction files: in descriptions.ts, which the checks load without this file.
  ...claudeDescription,

  environment: claudeEnvironment,

  preflight(spec, env) {
    const bypass = spec.agent.permissionMode === 'bypassPermissions' || (spec.agent.args ?? []).includes('--dangerously-skip-permissions');
    // The CLI itself refuses this as root (exit 1) with a message that does not say what to do.
    if (bypass && process.getuid?.() === 0 && env.IS_SANDBOX !== '1') {
      return 'claude refuses bypassPermissions when running as root: run the hub as its own user (see systemd/agent-hub.service), or set IS_SANDBOX=1 in the hub\'s environment if this machine is a sandbox';
    }
    return undefined;
  },

  invocation(spec, { root, settings }) {
    const a = spec.agent;
    // stream-json needs --verbose in print mode (without it: exit 1).
    const args = ['-p', '--output-format', 'stream-json', '--verbose'];
    if (a.model) args.push('--model', a.model);
    if (a.maxTurns !== undefined) args.push('--max-turns', String(a.maxTurns));
    // Variadic flags: each tool its own argument, so patterns with spaces or commas survive.
    if (a.allowedTools?.length) args.push('--allowedTools', ...a.allowedTools);
    if (a.disallowedTools?.length) args.push('--disallowedTools', ...a.disallowedTools);
    if (a.permissionMode) args.push('--permission-mode', a.permissionMode);
    if (a.appendSystemPrompt) args.push('--append-system-prompt', a.appendSystemPrompt);
    if (a.mcpConfig) args.push('--mcp-config', path.resolve(root, a.mcpConfig));
    for (const dir of a.addDirs ?? []) args.push('--add-dir', path.resolve(root, dir));
    if (spec.budget.maxCostUsdPerRun !== undefined) args.push('--max-budget-usd', String(spec.budget.maxCostUsdPerRun));
    // The CLI then makes the model answer through a tool that takes exactly this schema (its result carries structured_output).
    if (spec.output.format === 'json' && spec.output.schema !== undefined) args.push('--json-schema', JSON.stringify(spec.output.schema));
    args.push(...(a.args ?? []));
    return { command: settings.command ?? 'claude', args };
  },

  interpret(spec, p, { settings }) {
    const failed = processFailure(p, settings.command ?? 'claude', spec.agent.timeout);
    if (failed?.errorKind === 'spawn-error' && p.spawnError) {
      // Installing Claude Code is no answer to someone who set claude.command: their path is what failed.
      const hint = settings.command !== undefined
        ? `claude.command in hub.yaml is "${settings.command}": ${p.spawnError.code === 'ENOENT' ? 'no such program' : 'it cannot be run'} on this machine; fix the path (run \`${settings.command} --version\` as the hub's user to check), or remove claude.command to use claude from PATH`
        : p.spawnError.code === 'ENOENT' ? 'Claude Code is not installed or not on the hub\'s PATH: install it with `npm install -g @anthropic-ai/claude-code`, or set claude.command in hub.yaml to its path' : undefined;
      return hint ? { ...failed, error: `${failed.error}\nhint: ${hint}` } : failed;
    }
    if (failed) return { ...failed, ...usageOf(parseResult(p.stdout)) };
    const json = parseResult(p.stdout);
    if (!json && p.droppedBytes > 0) {
      // The JSON was cut at the output limit: keep what arrived of the result text; whether the run
      // succeeded, its cost and session are in the part that was dropped.
      return {
        ok: false, result: partialResult(p.stdout), errorKind: 'invalid-output',
        error: `claude's output was over the output limit (defaults.maxOutputBytes in hub.yaml); ${p.droppedBytes} bytes were dropped, cutting its JSON result, so the result is incomplete and the cost and session are unknown: raise the limit or ask for a shorter answer${stderrSummary(p)}`,
      };
    }
    if (!json) {
      const head = p.stdout.trim().slice(0, 300) || '(nothing)';
      const more = p.droppedBytes ? ` (output over the limit; ${p.droppedBytes} bytes dropped)` : '';
      return { ok: false, result: p.stdout || null, errorKind: 'agent-error', error: `claude exited with code ${p.exitCode} and printed output that is not its JSON result${more}: ${head}${stderrSummary(p)}` };
    }
    return outcomeOf(json, p, spec);
  },

  streamSteps,
};
