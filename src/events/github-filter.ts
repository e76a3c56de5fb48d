import type { GithubTrigger } from '../core/events.js';

/** Who may start a run by a comment when `authorAssociations` is not set: members of the repository. */
export const DEFAULT_ASSOCIATIONS = ['OWNER', 'MEMBER', 'COLLABORATOR'];

/** The hidden marker the hub puts in what it posts: comments carrying it never start a run (no loops). */
export const HUB_MARKER = '<!-- agent-hub:';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The comment of a comment event, if it is one. */
function commentOf(payload: Obj): Obj | undefined {
  return obj(payload.comment);
}

/** The issue or pull request an event is about. */
function subjectOf(payload: Obj): Obj | undefined {
  return obj(payload.pull_request) ?? obj(payload.issue);
}

/** The branch an event is on, where it has one: a push's ref, a pull request's base. */
export function branchOf(payload: Obj): string | undefined {
  const ref = str(payload.ref);
  if (ref?.startsWith('refs/heads/')) return ref.slice('refs/heads/'.length);
  return str(obj(obj(payload.pull_request)?.base)?.ref);
}

export type GithubMatch = { ok: true; command?: { name: string; args: string } } | { ok: false; reason: string };

/**
 * Whether a GitHub delivery (event name, parsed payload) starts a connector with this
 * trigger, and why not. Filters that do not apply to an event (a branch for an issue)
 * do not refuse it; a comment filter (command, author) refuses every comment that fails it.
 */
export function matchGithub(t: GithubTrigger, name: string, payload: Obj): GithubMatch {
  if (!t.events.includes(name)) return { ok: false, reason: `event ${name} is not listed` };
  const action = str(payload.action);
  if (t.actions && (!action || !t.actions.includes(action))) return { ok: false, reason: `action ${action ?? '(none)'} is not listed` };
  if (t.repositories) {
    const repo = str(obj(payload.repository)?.full_name)?.toLowerCase();
    if (!repo || !t.repositories.some((r) => r.toLowerCase() === repo)) return { ok: false, reason: `repository ${repo ?? '(none)'} is not listed` };
  }
  const branch = branchOf(payload);
  if (t.branches && branch !== undefined && !t.branches.includes(branch)) return { ok: false, reason: `branch ${branch} is not listed` };
  if (t.labels) {
    const added = str(obj(payload.label)?.name);
    const on = action === 'labeled' && added !== undefined ? [added]
      : ((subjectOf(payload)?.labels ?? []) as unknown[]).map((l) => str(obj(l)?.name)).filter((l): l is string => l !== undefined);
    if (!on.some((l) => t.labels?.includes(l))) return { ok: false, reason: `none of the labels ${t.labels.join(', ')} is on it` };
  }
  const comment = commentOf(payload) ?? (name === 'pull_request_review' ? obj(payload.review) : undefined);
  if (!comment) {
    // Issues and pull requests themselves: filtered by their author only when the list is given.
    const author = str(subjectOf(payload)?.author_association);
    if (t.authorAssociations && author !== undefined && !t.authorAssociations.includes(author)) return { ok: false, reason: `the author's association ${author} may not start it` };
    return { ok: true };
  }
  const body = str(comment.body) ?? '';
  if (body.includes(HUB_MARKER)) return { ok: false, reason: 'the comment is the hub\'s own' };
  const association = str(comment.author_association) ?? 'NONE';
  if (!(t.authorAssociations ?? DEFAULT_ASSOCIATIONS).includes(association)) return { ok: false, reason: `the author's association ${association} may not start it` };
  if (!t.command) return { ok: true };
  const trimmed = body.trimStart();
  if (trimmed !== t.command && !trimmed.startsWith(`${t.command} `) && !trimmed.startsWith(`${t.command}\n`)) return { ok: false, reason: `the comment does not start with ${t.command}` };
  return { ok: true, command: { name: t.command, args: trimmed.slice(t.command.length).trim() } };
}
