import type { AgentSpec, ConnectorSpec } from '../core/types.js';
import type { TranscriptStep } from './transcript.js';

/** How to start an agent for one run. */
export interface Invocation {
  command: string;
  args: string[];
}

/** How a run failed, as far as an agent type can tell (a subset of the recorded error kinds). */
export type AgentErrorKind = 'spawn-error' | 'timeout' | 'cancelled' | 'agent-error' | 'invalid-output';

/** What a finished agent process amounted to. */
export interface AgentOutcome {
  ok: boolean;
  result: string | null;
  errorKind?: AgentErrorKind;
  error?: string;
  costUsd?: number | null;
  usage?: Record<string, unknown> | null;
  sessionId?: string | null;
  numTurns?: number | null;
  permissionDenials?: unknown[] | null;
}

/** What an agent type reads of a finished process (execute/process.ts's SpawnResult extends it). */
export interface ProcessResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  /** Bytes of stdout dropped over the output limit. */
  droppedBytes: number;
  /** The last few KB of stderr, for error messages. */
  stderrTail: string;
  timedOut: boolean;
  cancelled: boolean;
  /** Set when the program could not be started at all (ENOENT, EACCES…). */
  spawnError?: { code: string; message: string };
}

/** An `agent:` field only one agent type reads. */
export interface AgentOption {
  field: Exclude<keyof AgentSpec, 'type' | 'env' | 'timeout' | 'cwd' | 'args'>;
  /**
   * Set for a file in the repository the agent reads, saying what it is ("MCP config"):
   * validate checks it exists and stays inside, a run checks again, no output may replace it.
   */
  repoFile?: string;
}

/** hub.yaml's section named after the agent type, e.g. `claude: { command: /usr/local/bin/claude }`. */
export interface AgentSettings {
  command?: string;
}

/** What the hub's environment gives an agent type: the variables it reads, and which values are secrets. */
export interface TypeEnvironment {
  env: Record<string, string>;
  secrets: string[];
}

/**
 * One agent CLI, everything the hub knows about it: the options it owns (other types must
 * not set them), what it takes from the hub's environment, why it would refuse to start,
 * its argv and how it reads a finished process. All pure; execute/ spawns the process.
 */
export interface AgentType {
  name: string;
  options: readonly AgentOption[];
  /** Said after "<field> applies only to agents of type <owner>" when this type's connector sets another type's option. */
  foreignOptionHint?: string;
  /** File names (lower case) the CLI reads as instructions in the directory it runs in and its parents: no output may take them. */
  instructionFiles?: { readBy: string; names: readonly string[] };
  environment(hubEnv: NodeJS.ProcessEnv): TypeEnvironment;
  /** A reason, said to the user, not to start this run with this environment; undefined to go ahead. */
  preflight(spec: ConnectorSpec, env: Readonly<Record<string, string>>): string | undefined;
  invocation(spec: ConnectorSpec, ctx: { root: string; settings: AgentSettings }): Invocation;
  /** `settings` is hub.yaml's section of this type, for messages that fit it (a configured command). */
  interpret(spec: ConnectorSpec, p: ProcessResult, ctx: { settings: AgentSettings }): AgentOutcome;
  /**
   * For a CLI that prints its work as a stream of JSON lines: the transcript steps in one
   * line, null for a line that is not one of its events. Without it, the transcript is the
   * output's lines. `interpret` is then given the lines that were no event, and the last
   * line with a `result` step, as stdout.
   */
  streamSteps?(line: string): TranscriptStep[] | null;
}
