/** Who the hub's commits are by (state.author in hub.yaml). */
export interface Author {
  name: string;
  email: string;
}

export const DEFAULT_AUTHOR: Author = { name: 'agent-hub', email: 'agent-hub@localhost' };

/** A file to commit: its path in the repository (relative to the hub root) and where its bytes are now. */
export interface StagedFile {
  path: string;
  source: string;
}

/** The environment that makes git record `a` as author and committer. */
export function authorEnv(a: Author): Record<string, string> {
  return { GIT_AUTHOR_NAME: a.name, GIT_AUTHOR_EMAIL: a.email, GIT_COMMITTER_NAME: a.name, GIT_COMMITTER_EMAIL: a.email };
}
