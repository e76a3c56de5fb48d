import { git, GitError, repoPaths } from './git.js';
import { gitBusy } from './lock.js';
import type { Author } from './author.js';
import { treeWith, type TreeFile } from './trees.js';
import { commitTree } from './plumbing.js';

/** The remote (its hooks, a protected branch) said no: trying again at once would get the same answer. */
export class PushRefused extends GitError {}

/** What a pull did. */
export interface PullResult {
  /** The checked-out branch moved (connectors may have changed): reconcile. */
  updated: boolean;
  /** Our own state commits were replayed on top of the remote. */
  rebased: number;
  /** When updated: `<old>..<new>` of the checked-out branch, for the log. */
  range?: string;
  /** Set when the branches diverged in a way the hub must not resolve itself. */
  diverged?: string;
  /** Set when the pull was put off: a person's merge or rebase is in progress, or another branch is checked out. */
  deferred?: string;
}

export interface PushResult {
  pushed: boolean;
  attempts: number;
  skipped?: string;
}

export interface RemoteOptions {
  root: string;
  remote: string;
  author: Author;
  /** Author emails of earlier state commits (before hub.yaml changed the author): also ours. */
  formerEmails?: readonly string[];
  /** `state.branch`, when state lives on a branch of its own. */
  stateBranch?: string;
  /** The branch the hub commits on and keeps in step (the one checked out when it started); unset: the checked-out one. */
  trackedBranch?: () => string | undefined;
  /** How long a fetch or a push may take before it is stopped (remote.timeout); 0: no limit. */
  timeoutMs?: number;
  /** Delays between push attempts after a rejection. */
  backoffMs?: number[];
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Keeps the repository in step with its remote: fetches and fast-forwards the checked-out
 * branch (so merged connector changes go live), pushes state commits, and when a push is
 * rejected because the remote moved, replays the hub's own commits on top and tries again.
 * Anything else that diverged — a person's unpushed commit, a local edit in the way — is
 * reported, never forced.
 */
export class RemoteSync {
  private readonly o: Required<Omit<RemoteOptions, 'stateBranch' | 'trackedBranch'>> & Pick<RemoteOptions, 'stateBranch' | 'trackedBranch'>;

  constructor(o: RemoteOptions) {
    this.o = { backoffMs: [1000, 2000, 4000], sleep: (ms) => new Promise((r) => setTimeout(r, ms)), formerEmails: [], timeoutMs: 120_000, ...o };
  }

  /** Pauses between push attempts after a rejection (remote moved). */
  get backoff(): { delaysMs: readonly number[]; sleep: (ms: number) => Promise<void> } {
    return { delaysMs: this.o.backoffMs, sleep: this.o.sleep };
  }

  private run(args: string[], opts: Parameters<typeof git>[2] = {}) {
    return git(this.o.root, args, opts);
  }

  private async rev(ref: string): Promise<string | null> {
    const r = await this.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { ok: [1] });
    return r.exitCode === 0 ? r.stdout.trim() : null;
  }

  private async isAncestor(a: string, b: string): Promise<boolean> {
    return (await this.run(['merge-base', '--is-ancestor', a, b], { ok: [1] })).exitCode === 0;
  }

  private async branch(): Promise<string> {
    return (await this.run(['symbolic-ref', '--short', 'HEAD'])).stdout.trim();
  }

  /** Commits in `from..to`, oldest first, each with whether the hub made it. */
  private async commitsBetween(from: string, to: string): Promise<Array<{ sha: string; ours: boolean }>> {
    const out = (await this.run(['log', '--reverse', '--format=%H%x00%ae%x00%s', `${from}..${to}`])).stdout.trim();
    if (!out) return [];
    return out.split('\n').map((l) => {
      const [sha, email, subject] = l.split('\0') as [string, string, string];
      const byUs = email === this.o.author.email || this.o.formerEmails.includes(email);
      return { sha, ours: byUs && subject.startsWith('state:') };
    });
  }

  /**
   * Replays commits onto `onto` with plumbing (no index, no work tree): each keeps its
   * message, author and date. Returns the new tip.
   */
  private async replay(commits: readonly string[], onto: string): Promise<string> {
    let tip = onto;
    for (const sha of commits) {
      // Against its parent; a first commit (a state branch started on two machines) against nothing.
      const raw = (await this.run(['diff-tree', '--no-commit-id', '--root', '-r', '--raw', '-z', sha])).stdout.split('\0').filter(Boolean);
      const files: TreeFile[] = [];
      for (let i = 0; i < raw.length; i += 2) {
        // ":<old mode> <new mode> <old blob> <new blob> <status>", then the path.
        const [, mode, , blob, status] = (raw[i] as string).split(' ');
        files.push({ path: raw[i + 1] as string, blob: status === 'D' ? null : (blob as string), mode: mode as string });
      }
      const tree = await treeWith(this.o.root, tip, files);
      const [name, email, date, ...body] = (await this.run(['log', '-1', '--format=%an%x00%ae%x00%aI%x00%B', sha])).stdout.split('\0');
      tip = await commitTree(this.o.root, tree, [tip], body.join('\0'), {
        GIT_AUTHOR_NAME: name ?? '', GIT_AUTHOR_EMAIL: email ?? '', GIT_AUTHOR_DATE: date ?? '', GIT_COMMITTER_NAME: this.o.author.name, GIT_COMMITTER_EMAIL: this.o.author.email,
      });
    }
    return tip;
  }

  /** Moves the checked-out branch from `from` to `to`, updating index and work tree like a fast-forward merge. */
  private async moveCheckedOut(branch: string, from: string, to: string): Promise<void> {
    // A two-way merge keeps a user's local changes and refuses when one is in the way.
    await this.run(['read-tree', '-m', '-u', from, to]);
    await this.run(['update-ref', '-m', 'agent-hub: sync with remote', `refs/heads/${branch}`, to, from]);
  }

  /**
   * Fetches, then brings the checked-out branch up to date with its remote counterpart —
   * only while it is the branch the hub tracks and no merge or rebase of a person's is in
   * progress (a person's feature branch is theirs to pull).
   */
  async pull(): Promise<PullResult> {
    const branch = await this.branch();
    const tracked = this.o.trackedBranch?.();
    if (tracked && tracked !== branch) return { updated: false, rebased: 0, deferred: `${branch} is checked out, not ${tracked}: not pulled` };
    await this.run(['fetch', '--quiet', this.o.remote], { timeoutMs: this.o.timeoutMs });
    const busy = gitBusy(await repoPaths(this.o.root), [`refs/heads/${branch}`]);
    if (busy) return { updated: false, rebased: 0, deferred: busy };
    const remoteTip = await this.rev(`refs/remotes/${this.o.remote}/${branch}`);
    const head = await this.rev('HEAD');
    if (!remoteTip || !head || remoteTip === head || (await this.isAncestor(remoteTip, head))) return { updated: false, rebased: 0 };
    try {
      if (await this.isAncestor(head, remoteTip)) {
        await this.moveCheckedOut(branch, head, remoteTip);
        return { updated: true, rebased: 0, range: `${head.slice(0, 7)}..${remoteTip.slice(0, 7)}` };
      }
      const local = await this.commitsBetween(remoteTip, head);
      const theirs = local.filter((c) => !c.ours);
      if (theirs.length) {
        return { updated: false, rebased: 0, diverged: `${branch} has ${theirs.length} local commit(s) not made by agent-hub (${theirs.map((c) => c.sha.slice(0, 7)).join(', ')}) and ${this.o.remote}/${branch} moved on: reconcile them by hand (git pull --rebase); the hub keeps running with the local connectors` };
      }
      const tip = await this.replay(local.map((c) => c.sha), remoteTip);
      await this.moveCheckedOut(branch, head, tip);
      return { updated: true, rebased: local.length, range: `${head.slice(0, 7)}..${tip.slice(0, 7)}` };
    } catch (err) {
      if (err instanceof GitError && err.args[0] === 'read-tree') {
        return { updated: false, rebased: 0, diverged: `cannot update ${branch} to ${this.o.remote}/${branch}: local changes are in the way (${err.stderr.trim().split('\n')[0]}); commit or discard them` };
      }
      throw err;
    }
  }

  /**
   * One push of the state (the checked-out branch, or only the state branch in
   * `state.branch` mode), of the commit the branch is at now. Reads refs only, so it may run
   * while the hub commits. `rejected`: the remote moved (catchUp() and try again); a
   * refusal by the remote's hooks throws with what the hooks printed.
   */
  async pushOnce(): Promise<PushResult & { rejected?: boolean }> {
    const branch = this.o.stateBranch ?? this.o.trackedBranch?.() ?? (await this.branch());
    const local = await this.rev(`refs/heads/${branch}`);
    if (!local) return { pushed: false, attempts: 0, skipped: 'nothing to push' }; // no state committed yet
    const remoteTip = await this.rev(`refs/remotes/${this.o.remote}/${branch}`);
    if (remoteTip && (await this.isAncestor(local, remoteTip))) return { pushed: false, attempts: 0, skipped: 'nothing to push' };
    if (remoteTip && !this.o.stateBranch) {
      const theirs = (await this.commitsBetween(remoteTip, local)).filter((c) => !c.ours);
      if (theirs.length) return { pushed: false, attempts: 0, skipped: `${branch} has commits not made by agent-hub; not pushing them` };
    }
    const r = await this.run(['push', '--porcelain', this.o.remote, `${local}:refs/heads/${branch}`], { ok: [1], timeoutMs: this.o.timeoutMs });
    if (r.exitCode === 0) {
      await this.run(['update-ref', `refs/remotes/${this.o.remote}/${branch}`, local]);
      return { pushed: true, attempts: 1 };
    }
    // "!<tab>src:dst<tab>[rejected] (fetch first)" when the remote moved; "[remote rejected] (…)" when its hooks said no.
    const status = r.stdout.split('\n').find((l) => l.startsWith('!'))?.split('\t')[2] ?? '';
    if (/^\[rejected\]/.test(status)) return { pushed: false, attempts: 1, rejected: true };
    const said = r.stderr.split('\n').filter((l) => l.startsWith('remote:')).map((l) => l.trimEnd());
    throw new PushRefused(['push', this.o.remote, branch], 1, `${this.o.remote} refused the push of ${branch}: ${status || r.stderr.trim().split('\n').pop() || 'no reason given'}` +
      `${said.length ? `\n${said.join('\n')}` : ''}\nthe state stays committed locally and is pushed again later`);
  }

  /**
   * After a rejected push: brings our commits on top of what the remote has now (replaying
   * the state branch, or pulling the checked-out branch). Moves refs and the index: run it
   * through the single git writer. Says when the hub must not resolve it itself.
   */
  async catchUp(): Promise<{ diverged?: string }> {
    if (this.o.stateBranch) {
      await this.rebaseStateBranch(this.o.stateBranch);
      return {};
    }
    const pulled = await this.pull();
    const stuck = pulled.diverged ?? pulled.deferred;
    return stuck ? { diverged: stuck } : {};
  }

  /** In state.branch mode: replay our state commits on top of the remote state branch. */
  private async rebaseStateBranch(branch: string): Promise<void> {
    await this.run(['fetch', '--quiet', this.o.remote, `+refs/heads/${branch}:refs/remotes/${this.o.remote}/${branch}`], { timeoutMs: this.o.timeoutMs });
    const remoteTip = await this.rev(`refs/remotes/${this.o.remote}/${branch}`);
    const local = await this.rev(`refs/heads/${branch}`);
    if (!remoteTip || !local || (await this.isAncestor(remoteTip, local))) return;
    const ours = await this.commitsBetween(remoteTip, local);
    const tip = await this.replay(ours.map((c) => c.sha), remoteTip);
    await this.run(['update-ref', `refs/heads/${branch}`, tip, local]);
  }
}
