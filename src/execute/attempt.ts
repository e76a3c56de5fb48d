import { mkdtemp, rmdir } from 'node:fs';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConnectorVersion } from '../core/types.js';
import type { RunEvent } from '../core/events.js';
import { durationMs } from '../core/duration.js';
import type { ErrorKind, Finish, Trigger } from '../registry/executions.js';
import { renderPrompt, renderWith } from '../template/render.js';
import { findAgentType, unknownAgentType } from '../agents/index.js';
import { agentSettings, DEFAULT_TRANSCRIPT_MAX_BYTES, DEFAULT_TRANSCRIPTS, type HubConfig } from '../spec/hub-config.js';
import type { TranscriptEvent } from '../agents/transcript.js';
import { TranscriptReader } from './transcript-reader.js';
import { transcriptName } from './transcript-files.js';
import { agentEnvironment } from './environment.js';
import { checkOutput, outputTarget, saveOutput } from './output.js';
import { runPathLeavingRepo } from './run-paths.js';
import { SAVE_TO_HINT } from '../spec/write-paths.js';
import { spawnAgent, type AgentProcess } from './process.js';
import { Redactor } from './redact.js';

/** What one attempt needs from the hub around it. */
export interface AttemptContext {
  root: string;
  /** The hub's environment, where `${NAME}` references are looked up. */
  env: NodeJS.ProcessEnv;
  /** hub.yaml: each agent type reads its own section (`claude: { command }`). */
  hub?: HubConfig;
  maxOutputBytes: number;
  killGraceMs: number;
  now: () => Date;
  /**
   * Called once the agent runs (or could not be spawned), with what is then known (already
   * redacted) and what finds the agent again if the hub crashes: one write records both.
   */
  onStart: (fields: { startedAt: Date; renderedPrompt: string; argv: string[]; agentProcess?: AgentProcess }) => void;
  onOutput?: (path: string) => void;
  /** Files connectors read (prompt files, MCP configs), which no output may replace; see filesReadBy(). */
  filesReadByConnectors?: () => ReadonlyMap<string, string>;
  /** Told each step of the transcript as it happens, redacted and cut to size. */
  onEvent?: (e: TranscriptEvent) => void;
}

export interface Attempt {
  id: string;
  version: ConnectorVersion;
  inputs: Record<string, unknown>;
  trigger: Trigger;
  scheduledFor: Date | null;
  attempt: number;
  signal: AbortSignal;
  event?: RunEvent;
}

/**
 * Removes a run's temporary directory; most agents leave it empty, and rmdir is much cheaper
 * then. Off the main thread: a synchronous rmdir took ~3 ms of the hub's time per run on a
 * busy disk, the largest part of what 8 `true` runs at a time cost beside a bare spawn.
 */
async function removeDir(dir: string): Promise<void> {
  try {
    await rmdirCb(dir);
  } catch {
    await rm(dir, { recursive: true, force: true });
  }
}

// The callback API: the promise one costs the event loop a little more for the same call.
const mkdtempCb = promisify(mkdtemp);
const rmdirCb = promisify(rmdir);

/**
 * One attempt of a run, start to end: render the prompt, build the environment (secrets
 * resolved now and redacted from everything returned), spawn the agent, read its result,
 * check and save the output. Never throws for anything the agent or the user did: every
 * outcome comes back as the record to store.
 */
export async function runAttempt(ctx: AttemptContext, a: Attempt): Promise<Finish> {
  const { spec } = a.version;
  const startedAt = ctx.now();
  const runInfo = { id: a.id, trigger: a.trigger, scheduledFor: a.scheduledFor, attempt: a.attempt, now: startedAt, ...(a.event ? { event: a.event } : {}) };
  const env = agentEnvironment(spec.agent.type, spec.agent.env, ctx.env);
  const redact = new Redactor(env.secrets);
  const fail = (errorKind: ErrorKind, error: string, extra: Partial<Finish> = {}): Finish =>
    ({ status: 'failed', startedAt, finishedAt: ctx.now(), errorKind, error: redact.text(error), ...extra });
  // Never a default: a connector of a type this hub does not have must not run some other CLI.
  const agent = findAgentType(spec.agent.type);
  if (!agent) return fail('spawn-error', unknownAgentType(spec.agent.type));

  let prompt: string;
  try {
    prompt = renderPrompt(a.version, a.inputs, runInfo);
  } catch (err) {
    return fail('spawn-error', `could not render the prompt: ${(err as Error).message}`);
  }
  if (env.missing.length) {
    return fail('spawn-error', `agent.env refers to ${env.missing.map((n) => `\${${n}}`).join(', ')}, not set in the hub's environment; set it where the hub runs (e.g. an EnvironmentFile of the systemd unit)`, { renderedPrompt: redact.text(prompt) });
  }
  const refusal = agent.preflight(spec, env.env);
  if (refusal) return fail('spawn-error', refusal, { renderedPrompt: redact.text(prompt) });

  // Where the result will go is known before the agent starts: a refused path costs no run.
  const readBy = () => ctx.filesReadByConnectors?.() ?? new Map<string, string>();
  let saveTo: string | undefined;
  if (spec.output.saveTo) {
    let rendered: string;
    try {
      rendered = renderWith(spec.output.saveTo, a.version, a.inputs, runInfo);
    } catch (err) {
      return fail('spawn-error', `could not render output.saveTo: ${(err as Error).message}`, { renderedPrompt: redact.text(prompt) });
    }
    const target = outputTarget(ctx.root, rendered, readBy());
    if ('refused' in target) return fail('spawn-error', `output.saveTo "${rendered}" is refused: ${target.refused}; ${SAVE_TO_HINT}`, { renderedPrompt: redact.text(prompt) });
    saveTo = target.rel;
  }
  const leaving = runPathLeavingRepo(ctx.root, spec.agent);
  if (leaving) return fail('spawn-error', `${leaving}; the run did not start`, { renderedPrompt: redact.text(prompt) });

  const settings = agentSettings(ctx.hub, agent.name);
  const inv = agent.invocation(spec, { root: ctx.root, settings });
  const ownCwd = spec.agent.cwd === undefined;
  // Made off the event loop, like its removal: creating a directory took ~0.8 ms of the hub's time a run.
  const cwd = ownCwd ? await mkdtempCb(path.join(tmpdir(), 'agent-hub-run-')) : path.resolve(ctx.root, spec.agent.cwd as string);
  let told = false;
  const tellStart = (agentProcess?: AgentProcess) => {
    told = true;
    ctx.onStart({ startedAt, renderedPrompt: redact.text(prompt), argv: redact.value([inv.command, ...inv.args]), ...(agentProcess ? { agentProcess } : {}) });
  };

  const mode = ctx.hub?.state?.transcripts ?? DEFAULT_TRANSCRIPTS;
  const reader = new TranscriptReader({
    parse: agent.streamSteps, maxItemBytes: ctx.hub?.state?.transcriptMaxBytes ?? DEFAULT_TRANSCRIPT_MAX_BYTES, maxOutputBytes: ctx.maxOutputBytes,
    redact, now: ctx.now, emit: (e) => ctx.onEvent?.(e),
  });
  try {
    const spawning = spawnAgent({
      command: inv.command, args: inv.args, input: prompt, cwd, env: env.env,
      timeoutMs: durationMs(spec.agent.timeout), graceMs: ctx.killGraceMs, maxOutputBytes: ctx.maxOutputBytes, signal: a.signal,
      runId: a.id, onSpawn: tellStart,
      onStdout: (c) => reader.stdout(c), onStderr: (c) => reader.stderr(c), collectStdout: !agent.streamSteps,
    });
    // The spawn is synchronous: an agent that did not start (no pid) is told started all the same, at once.
    if (!told) tellStart();
    const spawned = await spawning;
    const read = reader.finish();
    // A streaming agent's stdout is its events: interpret reads what the reader kept of it.
    const p = agent.streamSteps ? { ...spawned, ...read } : spawned;
    const outcome = agent.interpret(spec, p, { settings });
    const truncated = p.droppedBytes > 0;
    const marker = truncated ? `\n…[output truncated: ${p.droppedBytes} more bytes dropped, limit ${ctx.maxOutputBytes}]` : '';
    // Where the output was cut, the cut may fall inside a secret: its start is redacted too.
    const kept = (text: string | null | undefined) => (truncated ? redact.cutText(text ?? '') : text ?? '');
    const common: Partial<Finish> = {
      startedAt, costUsd: outcome.costUsd ?? null, usage: outcome.usage ?? null, sessionId: outcome.sessionId ?? null,
      numTurns: outcome.numTurns ?? null, durationMs: Math.round(p.durationMs), exitCode: p.exitCode,
      permissionDenials: outcome.permissionDenials?.length ? redact.value(outcome.permissionDenials) : null, outputTruncated: truncated,
      transcript: mode === 'commit' && reader.count > 0 ? transcriptName(a.id) : null,
    };
    if (!outcome.ok) {
      const cancelReason = a.signal.aborted ? String(a.signal.reason ?? 'cancelled') : undefined;
      const error = outcome.errorKind === 'cancelled' && cancelReason ? `cancelled: ${cancelReason}` : outcome.error ?? 'failed';
      // Cut output is said in the result itself, even when nothing of the result text arrived.
      const result = truncated ? `${kept(outcome.result)}${marker}`.replace(/^\n/, '') : outcome.result;
      return { ...common, status: 'failed', finishedAt: ctx.now(), result: redact.text(result || null), errorKind: outcome.errorKind ?? 'agent-error', error: redact.text(error) };
    }
    const checked = checkOutput(spec.output, outcome.result);
    if (!checked.ok) {
      return { ...common, status: 'failed', finishedAt: ctx.now(), result: redact.text(kept(outcome.result) + marker), errorKind: 'invalid-output', error: redact.text(checked.error), validationErrors: redact.value(checked.validationErrors) };
    }
    const resultText = redact.text(kept(checked.text) + marker);
    let savedTo: string | null = null;
    if (saveTo !== undefined) {
      try {
        savedTo = saveOutput(ctx.root, saveTo, resultText.endsWith('\n') ? resultText : `${resultText}\n`, readBy());
        ctx.onOutput?.(savedTo);
      } catch (err) {
        const error = `could not save the result to ${saveTo}: ${(err as Error).message}; the result is kept in this run record`;
        // The agent's work is done and kept in the record; running it again would spend again for the same write.
        return { ...common, status: 'failed', finishedAt: ctx.now(), result: resultText, errorKind: 'invalid-output', error: redact.text(error), retryable: false };
      }
    }
    return { ...common, status: 'success', finishedAt: ctx.now(), result: resultText, savedTo };
  } finally {
    if (ownCwd) await removeDir(cwd);
  }
}
