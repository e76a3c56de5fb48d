import path from 'node:path';
import { processFailure, stderrSummary } from '../result.js';
import type { AgentType } from '../types.js';
import { claudeEnvironment } from './environment.js';
import { parseResult, partialResult, usageOf } from './result.js';
import { streamSteps } from './stream.js';

/**
 * Claude Code in headless mode: `claude -p --output-format stream-json --verbose` plus the
 * connector's options, checked against `claude --help` of 2.1.197. The prompt goes to
 * stdin; each line of its output is an event of the transcript, the last one its result.
 */
export const claudeAgent: AgentType = {
  name: 'claude',
  options: [
    { field: 'model' }, { field: 'maxTurns' }, { field: 'allowedTools' }, { field: 'disallowedTools' },
    { field: 'permissionMode' }, { field: 'appendSystemPrompt' }, { field: 'mcpConfig', repoFile: 'MCP config' }, { field: 'addDirs' },
  ],

  instructionFiles: { readBy: 'Claude Code', names: ['claude.md', 'claude.local.md'] },

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
    args.push(...(a.args ?? []));
    return { command: settings.command ?? 'claude', args };
  },

  interpret(spec, p) {
    const failed = processFailure(p, 'claude', spec.agent.timeout);
    if (failed?.errorKind === 'spawn-error' && p.spawnError?.code === 'ENOENT') {
      return { ...failed, error: `${failed.error}\nClaude Code is not installed or not on PATH: install it with \`npm install -g @anthropic-ai/claude-code\`, or set claude.command in hub.yaml to its path` };
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
    const usage = usageOf(json);
    const result = typeof json.result === 'string' ? json.result : null;
    // API failures come back as subtype "success" with is_error true: decide by is_error and the exit code.
    if (json.is_error === true || p.exitCode !== 0) {
      const errors = Array.isArray(json.errors) ? ` (${json.errors.join(', ')})` : '';
      const why = result ?? String(json.subtype ?? 'error');
      return { ok: false, result, errorKind: 'agent-error', error: `claude failed (exit ${p.exitCode}, ${String(json.subtype)}): ${why}${errors}${stderrSummary(p)}`, ...usage };
    }
    return { ok: true, result, ...usage };
  },

  streamSteps,
};
