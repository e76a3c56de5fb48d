import type { Delivery } from '../core/events.js';
import type { ConnectorSpec, Diagnostic } from '../core/types.js';
import { at, type Rule, type RuleEnv } from './rule-env.js';
import { checkTemplateRefs } from './template-check.js';

/** Which fields each delivery type takes (the schema allows them all on any type). */
const FIELDS: Record<Delivery['type'], readonly string[]> = {
  'github-comment': ['repository', 'number', 'update', 'token', 'fromResult', 'maxBodyBytes'],
  'github-issue': ['repository', 'title', 'labels', 'token', 'fromResult', 'maxBodyBytes'],
  webhook: ['url', 'slack', 'secret', 'fromResult', 'maxBodyBytes'],
  file: ['path'],
  branch: ['branch', 'remote', 'message'],
};

/** The result fields `fromResult` takes, by type. */
const RESULT_FIELDS: Record<Delivery['type'], readonly string[]> = { 'github-comment': ['body'], 'github-issue': ['title', 'body'], webhook: [], file: [], branch: [] };

function deliveryProblems(spec: ConnectorSpec, env: RuleEnv, d: Delivery, i: number): Diagnostic[] {
  const out: Diagnostic[] = [];
  const here = (field?: string) => ['deliver', i, ...(field ? [field] : [])];
  for (const field of Object.keys(d)) {
    if (field === 'type' || field === 'when' || FIELDS[d.type].includes(field)) continue;
    out.push(at(env, here(field), `${field} does not apply to a ${d.type} delivery`, `${d.type} takes: ${FIELDS[d.type].join(', ')}`, 'deliver', 'error', true));
  }
  const fromEvent = spec.on?.github !== undefined;
  if (d.type === 'webhook' && !d.url) out.push(at(env, here(), 'a webhook delivery needs a url', 'add url: "https://…"', 'deliver'));
  if (d.type === 'file' && !d.path) out.push(at(env, here(), 'a file delivery needs a path', 'add path: "reports/{{connector.id}}.md"', 'deliver'));
  if (d.type === 'github-comment' && (d.number === undefined || d.repository === undefined) && !fromEvent) {
    out.push(at(env, here(), 'a github-comment delivery needs repository and number when no GitHub event starts the connector', 'add repository: owner/name and number: 123, or on: { github: … }', 'deliver'));
  }
  if (d.type === 'github-issue' && !d.repository && !fromEvent) out.push(at(env, here(), 'a github-issue delivery needs a repository', 'add repository: owner/name', 'deliver'));
  if (d.type === 'github-issue' && !d.title && !d.fromResult) out.push(at(env, here(), 'a github-issue delivery needs a title (the key the issue is found and updated by), or fromResult: true', 'add title: "Weekly report"', 'deliver'));
  if (d.type === 'branch') {
    if (!d.branch) out.push(at(env, here(), 'a branch delivery needs a branch name', 'add branch: "agent/{{connector.id}}/{{run.id}}"', 'deliver'));
    if (spec.agent.cwd === undefined) out.push(at(env, here(), 'a branch delivery commits the changes in the agent\'s work tree, and this agent has no agent.cwd', 'set agent.cwd to a git work tree the agent edits (a clone or `git worktree add`), not the hub\'s repository', 'deliver'));
    for (const f of ['branch', 'message'] as const) if (d[f]) out.push(...checkTemplateRefs(d[f] as string, spec, env, here(f)));
  }
  if (d.title) out.push(...checkTemplateRefs(d.title, spec, env, here('title')));
  if (d.fromResult) {
    if (spec.output.format !== 'json') out.push(at(env, here('fromResult'), 'fromResult takes fields of a JSON result, but output.format is not json', 'set output: { format: json, schema: {…} }', 'deliver'));
    else {
      const props = Object.keys((spec.output.schema?.properties ?? {}) as object);
      for (const f of RESULT_FIELDS[d.type].filter((f) => !(f === 'title' && d.title))) {
        if (!props.includes(f)) out.push(at(env, here('fromResult'), `fromResult takes the result's "${f}", which output.schema does not declare`, `declare it: output.schema.properties.${f}: { type: string } (and list it under required)`, 'deliver'));
      }
    }
  }
  return out;
}

/** `on:` and `deliver:`: what the schema cannot say (fields by type, the output schema for fromResult, one file). */
export const eventsRule: Rule = (spec, env) => {
  const out: Diagnostic[] = [];
  const hook = spec.on?.webhook;
  if (hook && !hook.secret && !hook.token) {
    out.push(at(env, ['on', 'webhook'], 'this webhook has no secret or token of its own: only callers with AGENT_HUB_TOKEN can start it', 'add secret: ${NAME} (HMAC signatures) or token: ${NAME} (bearer)', 'webhook', 'warning'));
  }
  const files = (spec.deliver ?? []).map((d, i) => [d, i] as const).filter(([d]) => d.type === 'file');
  if (files.length > 1 || (files.length && spec.output.saveTo !== undefined && spec.output.saveTo !== files[0]?.[0].path)) {
    out.push(at(env, ['deliver', (files[files.length - 1] as readonly [Delivery, number])[1]], 'one file per run: a file delivery is output.saveTo, and this connector has another', 'keep one file delivery (or output.saveTo)', 'deliver'));
  }
  (spec.deliver ?? []).forEach((d, i) => out.push(...deliveryProblems(spec, env, d, i)));
  // The point of deliveries is that the agent does not hold the credential they write with.
  const handed = new Map(Object.entries(spec.agent.env).map(([name, value]) => [value.trim(), name]));
  (spec.deliver ?? []).forEach((d, i) => {
    const ref = d.type === 'github-comment' || d.type === 'github-issue' ? d.token ?? '${GITHUB_TOKEN}' : d.type === 'webhook' ? d.secret : undefined;
    const name = ref && handed.get(ref);
    if (name) out.push(at(env, ['agent', 'env', name], `the agent gets ${ref}, the credential deliver.${i} writes with`, 'give the agent a read-only token (or none): the hub performs the delivery with its own', 'deliver', 'warning'));
  });
  return out;
};
