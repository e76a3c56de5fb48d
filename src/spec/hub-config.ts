import { HUB_FILE, readHubBytes } from './hub-file.js';
import type { Diagnostic } from '../core/types.js';
import { compareDiagnostics, formatDiagnostic } from '../core/diagnostic.js';
import type { ValidateFunction } from 'ajv';
import { checkSchema } from './schema.js';
import { compiledValidator } from './compiled.js';
import { decodeText } from './text.js';
import { parseYaml, type SourceDoc } from './yaml.js';
import { parseDuration } from '../core/duration.js';
import type { AgentSettings } from '../agents/types.js';
import { EXIT, UserError } from '../core/errors.js';

/** hub.yaml after validation (see schemas/hub.schema.json); every field optional. */
export interface HubConfig {
  concurrency?: number;
  /** The claude agent type's settings; each agent type's section is named after it (see agentSettings). */
  claude?: AgentSettings;
  defaults?: { timezone?: string; timeout?: string; maxOutputBytes?: number };
  state?: {
    commitInterval?: string; branch?: string; onBranch?: string; author?: { name?: string; email?: string };
    transcripts?: TranscriptMode; transcriptMaxBytes?: number;
  };
  remote?: { enabled?: boolean; name?: string; pullInterval?: string; push?: boolean; timeout?: string };
  server?: { host?: string; port?: number; allowedHosts?: string[]; protectReads?: boolean };
  shutdown?: { gracePeriod?: string };
  resync?: { interval?: string };
  github?: { webhookSecret?: string; apiUrl?: string; token?: string };
  notify?: { targets?: NotifyTarget[]; on?: string[] };
  deliveries?: { backoff?: string; maxAttempts?: number };
  /** Where runs execute: in this process (local) or on workers through BullMQ on Redis (see docs/workers.md). */
  queue?: QueueConfig;
}

/** An alert target in hub.yaml `notify.targets`. */
export interface NotifyTarget {
  type: 'webhook' | 'github-issue';
  url?: string;
  slack?: boolean;
  repository?: string;
  token?: string;
}

export interface QueueConfig {
  type: 'local' | 'bullmq';
  /** redis:// or rediss:// (TLS); `${NAME}` is taken from the hub's environment. */
  url?: string;
  prefix?: string;
}

/** Where run transcripts are kept: committed next to the run record, in .agent-hub/ only, or not at all. */
export type TranscriptMode = 'commit' | 'local' | 'off';
export const DEFAULT_TRANSCRIPTS: TranscriptMode = 'commit';
export const DEFAULT_TRANSCRIPT_MAX_BYTES = 2048;

/** hub.yaml's section named after an agent type (`claude: { command }`); empty when there is none. */
export function agentSettings(config: HubConfig | undefined, type: string): AgentSettings {
  const section = (config as Record<string, unknown> | undefined)?.[type];
  return section && typeof section === 'object' ? (section as AgentSettings) : {};
}

export interface LoadedHubConfig {
  config: HubConfig;
  /** The raw bytes, part of every connector's cache key (defaults change specs). */
  bytes: Uint8Array;
  diagnostics: Diagnostic[];
}

export { HUB_FILE } from './hub-file.js';

/** hub.yaml has errors: every one of them, formatted like validate prints them. */
export class HubConfigError extends UserError {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(`hub.yaml is invalid:\n${diagnostics.map(formatDiagnostic).join('\n')}`, EXIT.config);
  }
}

/** The settings of a repository's hub.yaml; throws HubConfigError when it has errors. */
export function requireHubConfig(root: string): HubConfig {
  const hub = loadHubConfig(root);
  if (hub.diagnostics.length) throw new HubConfigError(hub.diagnostics);
  return hub.config;
}

/** Reads hub.yaml; a missing file is an empty config, a broken one is reported, not thrown. */
export function loadHubConfig(root: string): LoadedHubConfig {
  return parseHubConfig(readHubBytes(root));
}

/** hub.yaml's schema, compiled ahead of time (scripts/gen-validators.js). */
const HUB_SCHEMA = compiledValidator('hub') ?? ((await import('./hub-validator.generated.js')) as unknown as { hub: ValidateFunction }).hub;

/** Parses and checks hub.yaml's bytes. */
export function parseHubConfig(bytes: Uint8Array): LoadedHubConfig {
  if (bytes.length === 0) return { config: {}, bytes, diagnostics: [] };
  const fail = (message: string, hint: string): LoadedHubConfig => ({
    config: {}, bytes, diagnostics: [{ file: HUB_FILE, line: 1, column: 1, path: '', message, hint, severity: 'error', rule: 'hub' }],
  });
  const decoded = decodeText(bytes);
  if ('error' in decoded) return fail(decoded.error, decoded.hint);
  // Blank lines alone are no settings, as a missing file (the YAML parser calls "\n" an empty stream).
  if (decoded.text.trim() === '') return { config: {}, bytes, diagnostics: [] };
  const doc = parseYaml(decoded.text, HUB_FILE);
  if (Array.isArray(doc)) return { config: {}, bytes, diagnostics: doc };
  if (doc.value === null || doc.value === undefined) return { config: {}, bytes, diagnostics: [] };
  if (typeof doc.value !== 'object' || Array.isArray(doc.value)) return fail('hub.yaml must be a mapping of settings', 'see schemas/hub.schema.json');
  const diagnostics = checkSchema(HUB_SCHEMA, doc, HUB_FILE);
  // All errors at once: these checks read only values of the right shape, beside the schema's errors.
  diagnostics.push(...intervalProblems(doc), ...allowedHostProblems(doc), ...queueProblems(doc));
  diagnostics.sort(compareDiagnostics);
  return { config: diagnostics.length ? {} : (doc.value as HubConfig), bytes, diagnostics };
}

/** Intervals of the hub's loops: near zero they would spin (a commit, a fetch, a full reconcile each time). */
const MIN_INTERVAL_MS = 100;
const INTERVALS: ReadonlyArray<readonly [string, string]> = [['state', 'commitInterval'], ['remote', 'pullInterval'], ['resync', 'interval']];

function intervalProblems(doc: SourceDoc): Diagnostic[] {
  const config = doc.value as Record<string, Record<string, unknown> | undefined>;
  const out: Diagnostic[] = [];
  for (const [section, field] of INTERVALS) {
    const value = config[section]?.[field];
    // Not a duration at all is the schema's error, said once.
    if (typeof value !== 'string' || (parseDuration(value) ?? MIN_INTERVAL_MS) >= MIN_INTERVAL_MS) continue;
    out.push({
      file: HUB_FILE, ...doc.locate([section, field]), path: `${section}.${field}`, severity: 'error', rule: 'interval',
      message: `"${value}" is too short; it would run without pause`, hint: 'the least is 100ms; use something like 30s or 5m',
    });
  }
  return out;
}

/** A host name, as the Host check compares it: no scheme, port, path or wildcard (which would never match). */
const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i;

function allowedHostProblems(doc: SourceDoc): Diagnostic[] {
  const names = (doc.value as { server?: { allowedHosts?: unknown } }).server?.allowedHosts;
  if (!Array.isArray(names)) return [];
  return names.flatMap((name: unknown, i) => (typeof name !== 'string' || name === '' || HOST_NAME.test(name) ? [] : [{
    file: HUB_FILE, ...doc.locate(['server', 'allowedHosts', i]), path: `server.allowedHosts.${i}`, severity: 'error' as const, rule: 'host',
    message: `"${name}" is not a host name`, hint: 'write the name alone, without scheme, port, path or wildcard, like hub.example.com (IP addresses need no entry)',
  }]));
}

/** `queue`: bullmq needs a Redis URL (redis:// or rediss://); local takes none. */
function queueProblems(doc: SourceDoc): Diagnostic[] {
  const q = (doc.value as HubConfig).queue;
  // Only a queue of the right shape: the schema reports the rest, once.
  if (!q || typeof q !== 'object' || (q.type !== 'local' && q.type !== 'bullmq') || (q.url !== undefined && typeof q.url !== 'string')) return [];
  const at = (field: string, message: string, hint: string): Diagnostic[] => [{
    file: HUB_FILE, ...doc.locate(field ? ['queue', field] : ['queue']), path: field ? `queue.${field}` : 'queue', severity: 'error', rule: 'queue', message, hint,
  }];
  if (q.type === 'local') {
    const extra = (['url', 'prefix'] as const).find((f) => q[f] !== undefined);
    return extra ? at(extra, `queue.${extra} is only read with type: bullmq`, 'remove it, or set type: bullmq to run on workers') : [];
  }
  if (q.url === undefined) return at('', 'queue type bullmq needs a url', 'add url: redis://host:6379 (rediss:// for TLS; a password as redis://:${REDIS_PASSWORD}@host:6379)');
  if (!/^rediss?:\/\/[^/\s]/.test(q.url) && !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(q.url)) return at('url', `"${q.url}" is not a Redis URL`, 'write redis://host:6379 or rediss://host:6380 (TLS), with user:password@ before the host if needed');
  return [];
}
