import type { Delivery, EventTriggers } from '../core/events.js';
import type { ConnectorSpec } from '../core/types.js';
import { DEFAULT_ASSOCIATIONS } from './github-filter.js';

/** A change a reviewer should look at twice, for plan's risky-changes section. */
export interface EventRisk {
  connector: string;
  message: string;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const list = (xs: readonly string[] | undefined) => (xs?.length ? xs.join(', ') : 'any');

/** What a delivery does, in words, naming where results go and with which credential. */
function describeDelivery(d: Delivery): string {
  switch (d.type) {
    case 'github-comment': return `comments on ${d.repository ?? 'the triggering repository'}#${d.number ?? '(triggering issue or PR)'}${d.update ? ' (editing its comment)' : ''} with ${d.token ?? 'the hub\'s GitHub token'}`;
    case 'github-issue': return `opens or updates issues in ${d.repository ?? 'the triggering repository'} with ${d.token ?? 'the hub\'s GitHub token'}`;
    case 'webhook': return `posts results to ${d.url ?? '(no url)'}${d.secret ? ` signed with ${d.secret}` : ''}`;
    case 'file': return `writes ${d.path ?? '(no path)'} into the repository`;
    case 'branch': return `commits the agent's changes to branch ${d.branch ?? '(default name)'} and pushes it to ${d.remote ?? 'origin'} with the hub's git credentials`;
    default: return `delivers (${String((d as { type: unknown }).type)})`;
  }
}

function triggerRisks(id: string, before: EventTriggers | undefined, after: EventTriggers | undefined): string[] {
  const out: string[] = [];
  const g0 = before?.github;
  const g1 = after?.github;
  if (g1 && !g0) out.push(`new trigger: GitHub events ${list(g1.events)} (actions ${list(g1.actions)}, repositories ${list(g1.repositories)}) start runs`);
  else if (g1 && g0 && !same(g0, g1)) {
    const added = g1.events.filter((e) => !g0.events.includes(e));
    if (added.length) out.push(`GitHub trigger takes more events: ${added.join(', ')}`);
    if (g0.actions && !same(g0.actions, g1.actions)) out.push(`GitHub trigger actions: ${list(g0.actions)} → ${list(g1.actions)}`);
    if (g0.repositories && !same(g0.repositories, g1.repositories)) out.push(`GitHub trigger repositories: ${list(g0.repositories)} → ${list(g1.repositories)}`);
    if (g0.command && g0.command !== g1.command) out.push(`comment command ${g0.command} → ${g1.command ?? '(none: any comment starts a run)'}`);
    if (!same(g0.branches, g1.branches) || !same(g0.labels, g1.labels)) out.push(`GitHub trigger filters changed (branches ${list(g1.branches)}, labels ${list(g1.labels)})`);
  }
  const wide = (g1?.authorAssociations ?? DEFAULT_ASSOCIATIONS).filter((a) => !DEFAULT_ASSOCIATIONS.includes(a));
  const wideBefore = (g0?.authorAssociations ?? DEFAULT_ASSOCIATIONS).filter((a) => !DEFAULT_ASSOCIATIONS.includes(a));
  if (g1 && wide.some((a) => !wideBefore.includes(a))) out.push(`people outside the repository's members (${wide.join(', ')}) can start runs by commenting`);
  if (g0 && !g1) out.push('GitHub trigger removed');
  const w0 = before?.webhook;
  const w1 = after?.webhook;
  if (w1 && !w0) out.push(`new trigger: POST /hooks/${id} ${w1.secret ? `signed with ${w1.secret}` : w1.token ? `with the bearer ${w1.token}` : 'with AGENT_HUB_TOKEN only'}`);
  else if (w1 && w0 && !same(w0, w1)) out.push(`webhook credentials changed: ${w0.secret ?? w0.token ?? 'AGENT_HUB_TOKEN'} → ${w1.secret ?? w1.token ?? 'AGENT_HUB_TOKEN'}`);
  const r0 = before?.rateLimit;
  const r1 = after?.rateLimit;
  if ((g1 || w1) && !same(r0, r1)) out.push(`event rate limit: ${r0 ? `${r0.runs} per ${r0.per ?? '1m'}` : 'default (30 per 1m)'} → ${r1 ? `${r1.runs} per ${r1.per ?? '1m'}` : 'default (30 per 1m)'}`);
  return out;
}

function deliveryRisks(before: readonly Delivery[], after: readonly Delivery[]): string[] {
  const known = new Set(before.map((d) => JSON.stringify(d)));
  const kept = new Set(after.map((d) => JSON.stringify(d)));
  return [
    ...after.filter((d) => !known.has(JSON.stringify(d))).map((d) => `${before.length ? 'new or changed' : 'new'} delivery: ${describeDelivery(d)}${d.when && d.when !== 'success' ? ` (after ${d.when === 'always' ? 'every run' : 'failed runs'})` : ''}`),
    ...before.filter((d) => !kept.has(JSON.stringify(d)) && !after.some((a) => a.type === d.type)).map((d) => `delivery removed: ${describeDelivery(d)}`),
  ];
}

/**
 * The event and delivery changes between two versions of a connector (undefined: absent),
 * as risks for `plan`: new or widened triggers (who can start a run), and new or changed
 * deliveries (where results go, with which credential). Pure; no change, no risk.
 */
export function eventRisks(before: ConnectorSpec | undefined, after: ConnectorSpec | undefined): EventRisk[] {
  if (!after) return [];
  const id = after.id;
  return [...triggerRisks(id, before?.on, after.on), ...deliveryRisks(before?.deliver ?? [], after.deliver ?? [])].map((message) => ({ connector: id, message }));
}
