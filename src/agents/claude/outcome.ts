import type { ConnectorSpec } from '../../core/types.js';
import { stderrSummary } from '../result.js';
import type { AgentOutcome, ProcessResult } from '../types.js';
import { usageOf, type ClaudeJson } from './result.js';

/**
 * What to do about a failure Claude Code reported, by its text (see shared/claude-cli.md:
 * API failures come back as `subtype: success` with `is_error: true`).
 */
function hintFor(json: ClaudeJson, text: string, spec: ConnectorSpec): string | undefined {
  if (/^Not logged in/i.test(text)) {
    // Said also when a token was sent and refused (the API answered 401): then the token is what to fix.
    if (json.api_error_status === 401) return 'the token in ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN was refused (Claude Code then says "Not logged in"): make a new one with `claude setup-token`, or set ANTHROPIC_API_KEY instead, in the environment agent-hub runs in';
    return 'agent-hub runs Claude Code headless, where /login cannot be used: set ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN, made by `claude setup-token`) in the environment agent-hub runs in; for the daemon, in an EnvironmentFile of its systemd unit';
  }
  if (/^Invalid API key/i.test(text)) return 'the API key was refused: check ANTHROPIC_API_KEY in the hub\'s environment';
  if (/^Failed to authenticate/i.test(text)) {
    return 'the credentials the hub passes to claude were refused: check ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN in the hub\'s environment (a token from `claude setup-token` expires; make a new one)';
  }
  if (json.api_error_status === 529 || /overloaded/i.test(text)) return 'the API is overloaded, usually for a short time: retry.attempts makes the hub try again';
  switch (json.subtype) {
    case 'error_max_turns':
      return `the agent needed more turns than agent.maxTurns${spec.agent.maxTurns !== undefined ? ` (${spec.agent.maxTurns})` : ''} allows (a tool call is a turn): raise it, or ask for less`;
    case 'error_max_budget_usd':
      return 'the run reached budget.maxCostUsdPerRun: raise it, or ask for less';
    case 'error_max_structured_output_retries':
      return 'the model could not give JSON that meets output.schema: make the schema simpler, or say in the prompt what each field holds';
  }
  return undefined;
}

/**
 * A finished run read from Claude Code's final result object (the whole output of
 * `--output-format json`, the last line of `stream-json`). The failure message reads as the
 * run's outcome: `claude failed (exit 1): Not logged in …` and what to do, never Claude's own
 * `subtype: success` of a failed call; its text is not repeated as the run's result.
 */
export function outcomeOf(json: ClaudeJson, p: ProcessResult, spec: ConnectorSpec): AgentOutcome {
  const usage = usageOf(json);
  const text = typeof json.result === 'string' ? json.result : null;
  // With --json-schema, the answer is the structured output; `result` holds the same as text, or prose when the model gave none.
  const answer = json.structured_output !== undefined && json.structured_output !== null ? JSON.stringify(json.structured_output) : text;
  // Decided by is_error and the exit code, never by subtype: API failures say "success".
  if (json.is_error !== true && p.exitCode === 0) return { ok: true, result: answer, ...usage };
  const errors = Array.isArray(json.errors) ? json.errors.map(String).filter(Boolean) : [];
  const stopped = typeof json.subtype === 'string' && json.subtype !== 'success' ? `, ${json.subtype}` : '';
  const why = (json.is_error === true ? text : null) ?? (errors.length ? errors.join('; ') : null) ?? text ?? 'no message';
  const hint = hintFor(json, why, spec);
  return {
    ok: false,
    // An error's text is the error, said once; a run that failed by its exit code alone keeps what it answered.
    result: json.is_error === true ? null : answer,
    errorKind: 'agent-error',
    error: `claude failed (exit ${p.exitCode ?? p.signal ?? '?'}${stopped}): ${why}${hint ? `\nhint: ${hint}` : ''}${stderrSummary(p)}`,
    ...usage,
  };
}
