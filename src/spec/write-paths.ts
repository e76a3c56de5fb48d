import path from 'node:path';
import type { ConnectorVersion } from '../core/types.js';
import { insideRepo } from './paths.js';
import { agentDescriptions, describeAgentType } from '../agents/descriptions.js';

/** What every refusal of a saveTo suggests instead. */
export const SAVE_TO_HINT = 'save results in a directory of their own, like reports/{{connector.id}}.md';

/** Why the hub will not write an agent's output somewhere: a rule name and a clause ("it is outside the repository"). */
export interface PathRefusal {
  rule: string;
  message: string;
}

/**
 * Top-level entries the hub reads as configuration or writes as state. Compared in lower
 * case: on a case-insensitive file system (macOS) `Connectors/x.yaml` is `connectors/x.yaml`.
 */
const RESERVED: ReadonlyMap<string, string> = new Map([
  ['connectors', 'connectors/ holds the connector files, partials and prompt files the hub applies'],
  ['hub.yaml', 'hub.yaml is the hub\'s own configuration'],
  ['state', 'state/ holds the run records and registry snapshot the hub commits and restores from'],
  ['schemas', 'schemas/ holds the JSON Schemas that editors check connector files against'],
]);

/** Files agent CLIs read as instructions from the directory they run in and every parent, with who reads them. */
const AGENT_INSTRUCTIONS: ReadonlyMap<string, string> = new Map(Object.values(agentDescriptions).flatMap((t) =>
  (t.instructionFiles?.names ?? []).map((name): [string, string] => [name, t.instructionFiles?.readBy ?? t.name])));

/**
 * Whether the hub may write an agent's output at `target` (repository-relative, as written
 * in saveTo or as rendered for a run). Returns the normalized path, or why not: outside the
 * repository, configuration or state the hub reads, a dotfile or dot-directory (`.git`,
 * `.agent-hub`, `.github`, `.gitignore`), agent instructions, or a file a connector reads
 * (`readByConnectors`: prompt files and MCP configs). Pure: symlinks are checked elsewhere.
 */
export function outputPathRefusal(root: string, target: string, readByConnectors: ReadonlyMap<string, string> = new Map()): { rel: string } | PathRefusal {
  const rel = insideRepo(root, '.', target);
  if (rel === undefined) return { rule: 'path-escape', message: 'it is outside the repository' };
  const parts = rel.split('/');
  const dotted = parts.find((p) => p.startsWith('.'));
  if (dotted !== undefined) {
    return { rule: 'reserved-path', message: `"${dotted}" starts with "." (dotfiles and directories like .git, .agent-hub, .github and .gitignore configure tools)` };
  }
  const why = RESERVED.get((parts[0] as string).toLowerCase());
  if (why) return { rule: 'reserved-path', message: why };
  const instructions = AGENT_INSTRUCTIONS.get((parts[parts.length - 1] as string).toLowerCase());
  if (instructions) return { rule: 'reserved-path', message: `${instructions} reads ${parts[parts.length - 1]} as instructions` };
  const reader = readByConnectors.get(rel.toLowerCase());
  if (reader) return { rule: 'reserved-path', message: `it is ${reader}` };
  return { rel };
}

/**
 * The files connectors read, by lower-cased repository-relative path, each with a phrase
 * saying whose file it is: every prompt file and every repository file its agent type reads (an MCP config).
 */
export function filesReadBy(root: string, versions: Iterable<Pick<ConnectorVersion, 'spec' | 'sourcePath'>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const { spec, sourcePath } of versions) {
    const prompt = spec.promptFile === undefined ? undefined : insideRepo(root, path.posix.dirname(sourcePath), spec.promptFile);
    if (prompt) out.set(prompt.toLowerCase(), `the prompt file of connector ${spec.id}`);
    for (const { field, repoFile } of describeAgentType(spec.agent.type)?.options ?? []) {
      const value = spec.agent[field];
      const file = repoFile === undefined || typeof value !== 'string' ? undefined : insideRepo(root, '.', value);
      if (file) out.set(file.toLowerCase(), `the ${repoFile} of connector ${spec.id}`);
    }
    // A script or settings file named on the agent's command line is run or read by it: an
    // output written over `scripts/nightly.sh` would become the next run's command.
    const cwd = spec.agent.cwd !== undefined && !path.isAbsolute(spec.agent.cwd) ? spec.agent.cwd : '.';
    for (const word of [...(spec.agent.command ?? []), ...(spec.agent.args ?? [])]) {
      for (const token of pathLikeTokens(word)) {
        for (const base of new Set([cwd, '.'])) {
          const file = insideRepo(root, base, token);
          if (file) out.set(file.toLowerCase(), `named on the command line of connector ${spec.id}`);
        }
      }
    }
  }
  return out;
}

/**
 * The words of an argv element that could name a file: split on blanks, quotes, `=`, `:`
 * and shell operators (`sh -c 'python scripts/x.py > out'`, `--settings=conf/a.json`),
 * keeping those with a `/` or a `.` in them.
 */
function pathLikeTokens(word: string): string[] {
  return word.split(/[\s'"`=:;&|<>()]+/).filter((t) => t && /[./]/.test(t) && !/^-+$/.test(t));
}
