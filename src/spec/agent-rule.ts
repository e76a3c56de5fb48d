import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../core/types.js';
import { parseDuration } from '../core/duration.js';
import { agentDescriptions, describeAgentType } from '../agents/descriptions.js';
import { describeLink, insideRepo, linkLeavingRepo } from './paths.js';
import { at, type Rule } from './rule-env.js';

const ENV_REF = /\$\{([^}]*)\}|\$\$|\$/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Options another agent type owns, set on this connector: each names its type. */
const foreignOptions: Rule = (spec, env) => {
  const a = spec.agent;
  const own = describeAgentType(a.type);
  const out: Diagnostic[] = [];
  if (env.rejected(['agent', 'type'])) return out;
  for (const owner of Object.values(agentDescriptions)) {
    if (owner === own) continue;
    for (const { field } of owner.options) {
      if (a[field] === undefined || own?.options.some((o) => o.field === field)) continue;
      const hint = own?.foreignOptionHint ?? `add \`type: ${owner.name}\` to agent, or remove ${field}`;
      out.push(at(env, ['agent', field], `${field} applies only to agents of type "${owner.name}"`, hint, 'agent-type', 'error', true));
    }
  }
  return out;
};

/** Files in the repository the agent type reads (`repoFile` options): inside it, not by a link out, present. */
const repoFiles: Rule = (spec, env) => {
  const out: Diagnostic[] = [];
  for (const { field, repoFile } of describeAgentType(spec.agent.type)?.options ?? []) {
    const value = spec.agent[field];
    if (repoFile === undefined || typeof value !== 'string') continue;
    const rel = insideRepo(env.root, '.', value);
    const link = rel === undefined ? undefined : linkLeavingRepo(env.root, rel);
    if (rel === undefined) out.push(at(env, ['agent', field], `${field} "${value}" is outside the repository`, `keep the ${repoFile} file in the repository`, 'path-escape'));
    else if (link) out.push(at(env, ['agent', field], `${field} "${value}" leads outside the repository: ${describeLink(env.root, link)}`, 'copy the file into the repository instead of linking it', 'path-escape'));
    else if (!existsSync(path.join(env.root, rel))) out.push(at(env, ['agent', field], `${field} file "${rel}" does not exist`, `the path is relative to the repository root; ${spec.agent.type} exits at once when the file is missing`, 'missing-file'));
  }
  return out;
};

/** Agent options that fit the agent type, `${NAME}` references, paths inside the repo. */
export const agentRule: Rule = (spec, env) => {
  const out: Diagnostic[] = [...foreignOptions(spec, env)];
  const a = spec.agent;
  for (const [name, value] of Object.entries(a.env)) {
    for (const m of value.matchAll(ENV_REF)) {
      if (m[0] === '$$') continue; // escaped dollar
      if (m[0] === '$' || !ENV_NAME.test(m[1] ?? '')) {
        out.push(at(env, ['agent', 'env', name], `malformed environment reference ${JSON.stringify(m[0] === '$' ? value.slice(m.index, m.index + 12) : m[0])}`, 'write ${NAME} (letters, digits, underscores) to use the hub\'s environment, or $$ for a literal dollar', 'env-ref'));
      }
    }
  }
  if (a.cwd !== undefined && !path.isAbsolute(a.cwd) && a.cwd !== '.') {
    const rel = insideRepo(env.root, '.', a.cwd);
    const link = rel === undefined ? undefined : linkLeavingRepo(env.root, rel);
    if (rel === undefined) out.push(at(env, ['agent', 'cwd'], `cwd "${a.cwd}" is outside the repository`, 'use a path inside the repository, or an absolute path', 'path-escape'));
    else if (link) out.push(at(env, ['agent', 'cwd'], `cwd "${a.cwd}" leads outside the repository: ${describeLink(env.root, link)}`, 'use a real directory inside the repository, or write the absolute path if running outside it is meant', 'path-escape'));
  }
  out.push(...repoFiles(spec, env));
  if (parseDuration(a.timeout) === 0) out.push(at(env, ['agent', 'timeout'], 'timeout must be more than zero', 'use a duration like 5m', 'duration'));
  return out;
};
