import type { Delivery, EventTriggers } from './events.js';

/** The connector file after schema validation and defaults: what a user wrote, typed. */
export interface ConnectorSpec {
  id: string;
  name?: string;
  description?: string;
  schedule?: string;
  timezone?: string;
  enabled: boolean;
  inputs: Record<string, InputSpec>;
  prompt?: string;
  promptFile?: string;
  agent: AgentSpec;
  output: OutputSpec;
  retry: RetrySpec;
  concurrency: 'forbid' | 'allow' | 'replace';
  catchUp?: string;
  budget: { maxCostUsdPerRun?: number; maxCostUsdPerDay?: number };
  /** Events that start a run (src/events/). */
  on?: EventTriggers;
  /** What the hub does with a run's result (src/deliver/). */
  deliver?: Delivery[];
}

export type InputType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';

export interface InputSpec {
  type: InputType;
  description?: string;
  default?: unknown;
  required: boolean;
  enum?: unknown[];
}

export interface AgentSpec {
  /** The name of an agent type (src/agents/index.ts); the schema lists the valid ones. */
  type: string;
  command?: string[];
  model?: string;
  maxTurns?: number;
  allowedTools?: string[];
  disallowedTools?: string[];
  permissionMode?: string;
  appendSystemPrompt?: string;
  mcpConfig?: string;
  addDirs?: string[];
  args?: string[];
  cwd?: string;
  env: Record<string, string>;
  timeout: string;
}

export interface OutputSpec {
  format: 'text' | 'json';
  schema?: Record<string, unknown>;
  saveTo?: string;
}

export interface RetrySpec {
  attempts: number;
  backoff: { initial: string; max: string; factor: number };
}

/**
 * A connector version as the registry stores it: the spec plus everything needed to
 * render it again later (the template source and the partials it uses), so a stored
 * version is self-contained and its hash identifies it.
 */
export interface ConnectorVersion {
  spec: ConnectorSpec;
  /** Repository-relative path of the connector file. */
  sourcePath: string;
  template: string;
  /** Partials the template uses (transitively), name → source. */
  partials: Record<string, string>;
}

export type Severity = 'error' | 'warning';

/** One problem in one file, located precisely enough to jump to. */
export interface Diagnostic {
  /** Repository-relative path. */
  file: string;
  line?: number;
  column?: number;
  /** Field path inside the document, like `agent.timeout`; empty for the whole file. */
  path: string;
  message: string;
  /** What to do about it. */
  hint?: string;
  severity: Severity;
  /** Which rule produced it; `duplicate-id` is the only one that depends on other files. */
  rule: string;
}
