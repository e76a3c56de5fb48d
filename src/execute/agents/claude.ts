import path from 'node:path';
import type { ConnectorSpec } from '../../core/types.js';
import type { SpawnResult } from '../process.js';
import { processFailure, stderrSummary, type Agent, type AgentOutcome } from './types.js';

/**
 * Claude Code in headless mode: `claude -p --output-format json` plus the connector's
 * options, checked against `claude --help` of 2.1.197. The prompt goes to stdin.
 */
export const claudeAgent: Agent = {
  invocation(spec, { root, claudeCommand }) {
    const a = spec.agent;
    const args = ['-p', '--output-format', 'json'];
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
    return { command: claudeCommand, args };
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
};

type ClaudeJson = Record<string, unknown>;

/** The final JSON object: the whole stdout, or the last line of it (stream-json ends with it). */
function parseResult(stdout: string): ClaudeJson | undefined {
  const text = stdout.trim();
  if (!text) return undefined;
  for (const candidate of [text, text.split('\n').pop() ?? '']) {
    try {
      const v = JSON.parse(candidate) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v) && (v as ClaudeJson).type === 'result') return v as ClaudeJson;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/**
 * The `result` text of a JSON result cut short: decoded up to where the output stopped
 * (an escape sequence cut in half is dropped). Null when the cut came before it.
 */
export function partialResult(stdout: string): string | null {
  const start = /"result"\s*:\s*"/.exec(stdout);
  if (!start) return null;
  let raw = '';
  for (let i = start.index + start[0].length; i < stdout.length; i++) {
    const c = stdout[i] as string;
    if (c === '"') break;
    if (c === '\\') {
      const esc = stdout.slice(i, stdout[i + 1] === 'u' ? i + 6 : i + 2);
      if (!/^\\(["\\/bfnrt]|u[0-9a-fA-F]{4})$/.test(esc)) break; // cut inside the escape
      raw += esc;
      i += esc.length - 1;
    } else raw += c;
  }
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

function usageOf(json: ClaudeJson | undefined): Partial<AgentOutcome> {
  if (!json) return {};
  return {
    costUsd: typeof json.total_cost_usd === 'number' ? json.total_cost_usd : null,
    usage: { usage: json.usage ?? null, modelUsage: json.modelUsage ?? null, durationMs: json.duration_ms ?? null, subtype: json.subtype ?? null },
    sessionId: typeof json.session_id === 'string' ? json.session_id : null,
    numTurns: typeof json.num_turns === 'number' ? json.num_turns : null,
    permissionDenials: Array.isArray(json.permission_denials) ? json.permission_denials : null,
  };
}

/** For `--dry-run` and messages: the argv as one shell-quoted line. */
export function shellLine(command: string, args: readonly string[]): string {
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [command, ...args].map(quote).join(' ');
}

export type { ConnectorSpec, SpawnResult };
