import { Cron } from 'croner';
import type { ConnectorSpec, Diagnostic } from '../core/types.js';
import { parseDuration } from '../core/duration.js';
import { hasType, RESERVED_INPUT_NAMES } from '../template/inputs.js';
import { describeLink, insideRepo, symlinkOnPath } from './paths.js';
import { filesReadBy, outputPathRefusal, SAVE_TO_HINT, type PathRefusal } from './write-paths.js';
import { userSchemaAjv } from './user-schema.js';
import { checkTemplateRefs } from './template-check.js';
import { closest } from './suggest.js';
import { agentRule } from './agent-rule.js';
import { eventsRule } from './events-rule.js';
import { at, type Rule, type RuleEnv } from './rule-env.js';

/** Cron syntax, a schedule that can fire, and the time zone. */
export const scheduleRule: Rule = (spec, env) => {
  const out: Diagnostic[] = [];
  if (spec.timezone !== undefined && !isTimeZone(spec.timezone)) {
    const guess = closest(spec.timezone, Intl.supportedValuesOf('timeZone'));
    out.push(at(env, ['timezone'], `unknown time zone "${spec.timezone}"`, guess ? `did you mean "${guess}"?` : 'use an IANA name like Europe/Paris, America/New_York or UTC', 'timezone'));
  }
  if (spec.schedule === undefined) {
    if (spec.catchUp !== undefined && !env.rejected(['schedule'])) out.push(at(env, ['catchUp'], 'catchUp has no effect without a schedule', 'add a schedule or remove catchUp', 'catch-up', 'warning'));
    return out;
  }
  const problem = cronProblem(spec.schedule);
  if (problem) out.push(at(env, ['schedule'], problem.message, problem.hint, 'cron'));
  return out;
};

const FIELD_RANGES: Record<string, string> = {
  second: 'second must be 0-59', minute: 'minute must be 0-59', hour: 'hour must be 0-23',
  day: 'day of month must be 1-31', month: 'month must be 1-12 or JAN-DEC', weekday: 'day of week must be 0-7 or SUN-SAT',
};

function cronMessage(message: string): string {
  return message.replace(/^CronPattern: /, '');
}

function cronHint(message: string): string {
  const m = /Invalid value for (\w+)/i.exec(message);
  if (m) return FIELD_RANGES[m[1] as string] ?? 'check the field ranges';
  return 'use 5 fields "minute hour day-of-month month day-of-week" (or 6 with seconds first), or @hourly, @daily, @weekly, @monthly';
}

// Both checks are pure functions of a string and costly (Intl, croner), while thousands of
// connectors share a few patterns and zones: remember the answers.
const zones = new Map<string, boolean>();
const patterns = new Map<string, { message: string; hint: string } | null>();

/** The canonical IANA names, listed without setting up a formatter (whose first use costs tens of ms). */
let canonicalZones: Set<string> | undefined;

function isTimeZone(tz: string): boolean {
  let ok = zones.get(tz);
  if (ok === undefined) {
    canonicalZones ??= new Set(Intl.supportedValuesOf('timeZone'));
    // Aliases (UTC, Asia/Calcutta) and other spellings the formatter accepts are asked of it.
    ok = canonicalZones.has(tz) || formatterAccepts(tz);
    zones.set(tz, ok);
  }
  return ok;
}

function formatterAccepts(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Why a cron pattern is unusable, or null. Whether it ever fires does not depend on the zone. */
function cronProblem(schedule: string): { message: string; hint: string } | null {
  let problem = patterns.get(schedule);
  if (problem !== undefined) return problem;
  try {
    const job = new Cron(schedule, { paused: true });
    const next = job.nextRun();
    job.stop();
    problem = next ? null : { message: `"${schedule}" never fires`, hint: 'check the day and month fields (e.g. February has no 30th)' };
  } catch (err) {
    const text = (err as Error).message;
    problem = { message: `"${schedule}" is not a valid schedule: ${cronMessage(text)}`, hint: cronHint(text) };
  }
  patterns.set(schedule, problem);
  return problem;
}

/** Why an integer that looks right is not: it is beyond what a double holds exactly. */
function inexact(value: unknown, type: string): string {
  return type === 'integer' && Number.isInteger(value) ? ` (beyond ${Number.MAX_SAFE_INTEGER}, 2^53 − 1: YAML read it as ${String(value)}; use a string input for larger numbers)` : '';
}

/**
 * The YAML spelling of an integer at `path` when it is hexadecimal, octal or binary
 * (`0x10`, `0o17`, `0b11`), which YAML reads as a number silently. Only files that hold
 * such a spelling somewhere pay for locating the value.
 */
function nonDecimalLiteral(env: RuleEnv, path: Array<string | number>): string | undefined {
  // The plain search first: the precise one, tried at every position, cost more than the rest of the rule.
  if (!/0[xXoObB]/.test(env.text) || !/(^|[^\w.])[-+]?0[xXoObB][0-9a-fA-F_]/.test(env.text)) return undefined;
  const { line, column } = env.locate(path);
  const rest = env.text.split('\n')[line - 1]?.slice(column - 1) ?? '';
  return /^[-+]?0[xXoObB][0-9a-fA-F_]+/.exec(rest)?.[0];
}

const EXAMPLES: Record<string, string> = { string: '"text"', number: '1.5', integer: '3', boolean: 'true', array: '[a, b]', object: '{ key: value }' };

/** Defaults and enum values of the declared inputs have the declared type; input names are not reserved. */
export const inputsRule: Rule = (spec, env) => {
  const out: Diagnostic[] = [];
  for (const [name, decl] of Object.entries(spec.inputs)) {
    if (RESERVED_INPUT_NAMES.has(name)) {
      out.push(at(env, ['inputs', name], `input name "${name}" is reserved: every JavaScript object has a "${name}", so the input would be lost or read wrong`, `rename the input (e.g. "${name.replace(/^_+|_+$/g, '')}Value") here and in the prompt`, 'input-name', 'error', true));
      continue;
    }
    // A declared type the schema refused is no type to compare with.
    if (env.rejected(['inputs', name, 'type'])) continue;
    if (decl.default !== undefined && !hasType(decl.default, decl.type)) {
      out.push(at(env, ['inputs', name, 'default'], `default ${JSON.stringify(decl.default)} is not of type ${decl.type}${inexact(decl.default, decl.type)}`, `write a default of type ${decl.type} (like ${EXAMPLES[decl.type]}), or change type:`, 'input-default'));
    } else if (decl.type === 'integer' && decl.default !== undefined) {
      const literal = nonDecimalLiteral(env, ['inputs', name, 'default']);
      if (literal) out.push(at(env, ['inputs', name, 'default'], `default ${literal} is not a decimal integer`, `write it in decimal: ${String(decl.default)}`, 'input-default'));
    }
    if (decl.enum) {
      decl.enum.forEach((v, i) => {
        if (!hasType(v, decl.type)) out.push(at(env, ['inputs', name, 'enum', i], `enum value ${JSON.stringify(v)} is not of type ${decl.type}${inexact(v, decl.type)}`, `write a value of type ${decl.type} (like ${EXAMPLES[decl.type]}), or change type:`, 'input-enum'));
        else if (decl.type === 'integer') {
          const literal = nonDecimalLiteral(env, ['inputs', name, 'enum', i]);
          if (literal) out.push(at(env, ['inputs', name, 'enum', i], `enum value ${literal} is not a decimal integer`, `write it in decimal: ${String(v)}`, 'input-enum'));
        }
      });
      if (decl.default !== undefined && !decl.enum.some((v) => JSON.stringify(v) === JSON.stringify(decl.default))) {
        out.push(at(env, ['inputs', name, 'default'], `default ${JSON.stringify(decl.default)} is not one of the enum values`, `use one of: ${decl.enum.map((v) => JSON.stringify(v)).join(', ')}`, 'input-default'));
      }
    }
    if (decl.required && decl.default !== undefined) {
      out.push(at(env, ['inputs', name, 'required'], 'a required input with a default is never missing', 'drop required or the default', 'input-required', 'warning'));
    }
  }
  return out;
};

/** The output schema is a JSON Schema, saveTo stays inside the repo. */
export const outputRule: Rule = (spec, env) => {
  const out: Diagnostic[] = [];
  const o = spec.output;
  if (o.schema !== undefined) {
    if (o.format !== 'json' && !env.rejected(['output', 'format'])) out.push(at(env, ['output', 'schema'], 'a schema needs format: json', 'add `format: json` to output', 'output', 'error', true));
    try {
      userSchemaAjv().compile(o.schema);
    } catch (err) {
      out.push(at(env, ['output', 'schema'], `not a valid JSON Schema: ${(err as Error).message}`, 'output.schema is a JSON Schema (draft 2020-12), like { type: object, required: [summary] }', 'output-schema'));
    }
  }
  if (o.saveTo !== undefined) {
    const problem = saveToProblem(spec, env, o.saveTo);
    if (problem) out.push(at(env, ['output', 'saveTo'], `saveTo "${o.saveTo}" is refused: ${problem.message}`, SAVE_TO_HINT, problem.rule));
    else out.push(...checkTemplateRefs(o.saveTo, spec, env, ['output', 'saveTo']));
  }
  return out;
};

/**
 * What the hub can know of a saveTo before a run: the path with `{{connector.id}}` filled
 * in and every other placeholder as a plain name, checked like a rendered path (the
 * run checks the rendered path again), and no symlink on the directories written in full.
 */
function saveToProblem(spec: ConnectorSpec, env: RuleEnv, saveTo: string): PathRefusal | undefined {
  const withId = saveTo.replace(/\{\{\s*connector\.id\s*\}\}/g, spec.id);
  const own = filesReadBy(env.root, [{ spec, sourcePath: env.file }]);
  const checked = outputPathRefusal(env.root, withId.replace(/\{\{[^}]*\}\}/g, 'x'), own);
  if ('rule' in checked) return checked;
  // Symlinks only on the directories written out in full: what a placeholder becomes is known at run time.
  const open = withId.indexOf('{{');
  const fixed = open < 0 ? withId : withId.slice(0, Math.max(0, withId.lastIndexOf('/', open)));
  const rel = fixed ? insideRepo(env.root, '.', fixed) : undefined;
  const link = rel === undefined ? undefined : symlinkOnPath(env.root, rel);
  if (link) return { rule: 'path-escape', message: `${describeLink(env.root, link)}; the hub never writes through a symlink` };
  return undefined;
}

/** Backoff bounds that make sense. */
export const retryRule: Rule = (spec, env) => {
  const { initial, max } = spec.retry.backoff;
  if (env.rejected(['retry', 'backoff'])) return [];
  if ((parseDuration(initial) ?? 0) > (parseDuration(max) ?? 0)) {
    return [at(env, ['retry', 'backoff'], `backoff initial ${initial} is longer than max ${max}`, 'make max at least as long as initial', 'retry')];
  }
  return [];
};

export const RULES: readonly Rule[] = [scheduleRule, agentRule, inputsRule, outputRule, retryRule, eventsRule];
