import { watch, readlinkSync, realpathSync, type FSWatcher } from 'node:fs';
import { entriesOf, infoAt } from './fs-info.js';
import { Burst } from './burst.js';
import path from 'node:path';

export interface WatchOptions {
  /** Quiet time after the last event before `onChange` is called. */
  debounceMs?: number;
  /** A directory that could not be watched (the system's limit of inotify watches reached): the resync still finds its changes. */
  onError?: (dir: string, err: Error) => void;
}

/** What `watchConnectors` returns: stop it with close(). */
export interface ConnectorWatcher {
  /**
   * The files outside connectors/ that connectors read (a promptFile `../prompts/x.hbs`),
   * repository-relative: their edits are followed too (a watch on each one's directory),
   * until a later call leaves them out.
   */
  followFiles(files: Iterable<string>): void;
  /**
   * Watches the directories under connectors/ that have none, and names them to the next
   * call: their creation was lost (the kernel drops events when its queue overflows, as in a
   * checkout of tens of thousands of files). For the periodic resync.
   */
  rescan(): void;
  close(): Promise<void>;
}

const CONNECTORS = 'connectors';
const HUB_FILE = 'hub.yaml';
const PARTIALS = `${CONNECTORS}/partials`;
/** The directories the loader reads through a symlink (it walks no other linked one), and so the watches. */
const readThrough = (rel: string) => rel === CONNECTORS || rel === PARTIALS;

/**
 * Watches connectors/ (connector files, prompt files, partials; every directory under it)
 * and hub.yaml, and calls `onChange` with the repository-relative paths once a burst of
 * events has been quiet for `debounceMs`: an editor's write-temp-then-rename, a `git pull`
 * touching many files, a directory deleted and created again all end in one reconcile.
 * The reconcile reads the files again itself, so no single event needs to be right; what
 * matters is that every write is followed by a call.
 *
 * One inotify watch per directory (node:fs watch), not per file: chokidar watched every
 * file and read the whole directory again, with an lstat of each of 5,000 files, on every
 * event in it. Here each raw event counts (none is throttled away), so the call after the
 * last write of a burst always comes, however short the debounce: 20 ms of quiet is enough
 * for an editor's save or a checkout (a pass started in the middle of a long one is
 * followed by one more, see reconcile/queue.ts), and is most of an edit's way to live.
 */
export function watchConnectors(root: string, onChange: (paths: string[]) => void, opts: WatchOptions = {}): ConnectorWatcher {
  const { debounceMs = 20, onError = () => undefined } = opts;
  const watchers = new Map<string, FSWatcher>();
  let closed = false;
  const burst = new Burst(onChange, debounceMs);
  const changed = (rel: string) => {
    if (!closed) burst.add(rel);
  };

  const unwatch = (rel: string) => {
    for (const [dir, w] of watchers) {
      if (dir !== rel && !dir.startsWith(`${rel}/`)) continue;
      w.close();
      watchers.delete(dir);
    }
  };

  /**
   * A watch on the directory `abs`, for what the repository calls `label`; none when it is gone
   * already (`missing` says so until the next call: another process may have removed it since
   * the caller looked) or cannot be watched (reported).
   */
  let missing = false;
  const watchAt = (abs: string, label: string, listener: (event: string, name: string | null) => void): FSWatcher | undefined => {
    missing = false;
    try {
      return watch(abs, listener);
    } catch (err) {
      missing = ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');
      if (!missing) onError(label, err as Error);
      return undefined;
    }
  };
  /** A watch on a directory of the repository ('' for its root). */
  const watchDir = (rel: string, listener: (event: string, name: string | null) => void) => watchAt(path.join(root, rel), rel || '.', listener);

  /**
   * For a directory `abs` of the repository not there (yet): a watch on its nearest parent
   * that is, calling `made` when the next directory towards it appears (or is replaced), or
   * when that parent goes. With `up`, `abs` is there, and only its parent's events count.
   */
  const waitFor = (abs: string, label: string, made: () => void, up = false): FSWatcher | undefined => {
    // Within the repository only: the loader refuses a link that leads out of it, so there is nothing to wait for.
    if (path.relative(root, abs).startsWith('..')) return undefined;
    for (let parent = path.dirname(abs); ; parent = path.dirname(parent)) {
      if (parent !== root && parent.startsWith(root) && !infoAt(parent)?.isDirectory()) continue;
      const [next = ''] = path.relative(parent, abs).split(path.sep);
      // The parent itself removed or moved (a checkout away: its own event bears its name) is a step too: waited for from further up.
      const w = watchAt(parent, label, (_event, name) => {
        if (name === null || name === next || name === path.basename(parent)) made();
      });
      // Another process is quicker than a look and a watch: the next directory made in between (no event to come) is a step taken now; the parent removed in between, the one above is watched.
      if (w && !up && infoAt(path.join(parent, next))?.isDirectory()) setImmediate(made);
      if (w || !missing || parent === root || !parent.startsWith(root)) return w;
    }
  };

  /** Kept under `rel`; should it fail (its directory gone), dropped, and a pass asked for: the loader sees what is there now. */
  const keepWatch = (rel: string, w: FSWatcher) => {
    watchers.set(rel, w.on('error', () => {
      unwatch(rel);
      changed(rel);
    }));
  };

  /**
   * A symlink under connectors/ (a connector or prompt file linked, maybe from outside
   * connectors/), or hub.yaml linked: a watch on the directory of the file it leads to, whose
   * events for that file name the link, since the loader reads through it. The directory, not
   * the file: a target replaced (an editor's save, a checkout's unlink and create) or made
   * after the link (a dangling one) is seen too. The link itself replaced, its parent's event
   * sets the watch again (follow). A link to a directory is not followed, as the loader does
   * not walk one (but connectors/ or connectors/partials itself).
   */
  const watchLink = (rel: string) => {
    // Dot entries are no files the loader reads (an editor's lock file is a dangling symlink: .#a.yaml).
    if (closed || watchers.has(rel) || path.basename(rel).startsWith('.')) return;
    const abs = path.join(root, rel);
    let target: string;
    try {
      target = realpathSync(abs);
    } catch {
      try {
        target = path.resolve(path.dirname(abs), readlinkSync(abs)); // dangling: the file it names
      } catch {
        return; // gone, or no symlink any more: its parent's event follows
      }
    }
    if (infoAt(target)?.isDirectory()) {
      if (readThrough(rel)) watchTree(rel);
      return;
    }
    const name = path.basename(target);
    const dir = path.dirname(target);
    const again = () => {
      if (watchers.get(rel) !== w) return;
      follow(rel); // the link set again, or what replaced it followed
      changed(rel);
    };
    // The directory removed or moved (a checkout away: its own event bears its name), or connectors/' (partials') made: set again.
    const there = infoAt(dir)?.isDirectory();
    let w = !there ? undefined : watchAt(dir, rel, (event, n) => {
      if (n === null || n === name) changed(rel);
      if (event === 'rename' && (n === path.basename(dir) || (n === name && readThrough(rel)))) again();
    });
    // A dangling link into a directory not made yet (or removed since the look): followed from the nearest parent there, then set again once it is.
    if (!there || missing) w = waitFor(dir, rel, again);
    if (w) keepWatch(rel, w);
  };

  /** Watches a directory under connectors/ and every directory below it (not through symlinks: the loader does not follow them either). */
  const watchTree = (rel: string) => {
    if (closed || watchers.has(rel)) return;
    const w = watchDir(rel, (event, name) => {
      if (!name) return changed(rel); // no name given: the whole directory, then
      const child = `${rel}/${name}`;
      changed(child);
      // A directory appeared, went, or was replaced (removed and made again): its watches follow. The linked directory of
      // connectors/ (or partials) itself removed or moved (its own event bears its name; a subdirectory so named is walked again too): the link is.
      if (event === 'rename') follow(readThrough(rel) && name === path.basename(rel) ? rel : child);
    });
    if (!w) return;
    keepWatch(rel, w);
    for (const e of entriesOf(path.join(root, rel))) { // none when removed while we looked: its parent's event follows
      if (e.isDirectory()) watchTree(`${rel}/${e.name}`);
      else if (e.isSymbolicLink()) watchLink(`${rel}/${e.name}`);
    }
  };

  /** rescan() below `rel`: a directory without a watch is followed (with all below it) and named; one with a watch is looked into. */
  const rescan = (rel: string) => {
    if (watchers.has(rel)) {
      for (const e of entriesOf(path.join(root, rel))) if (e.isDirectory()) rescan(`${rel}/${e.name}`);
    } else if (infoAt(path.join(root, rel), true)?.isDirectory()) {
      follow(rel);
      changed(rel);
    }
  };

  /** After a rename event for a directory entry: the watches below it dropped, and set again if a directory (or a symlink) is there now. */
  const follow = (rel: string) => {
    if (watchers.has(rel)) unwatch(rel);
    const st = infoAt(path.join(root, rel), true);
    if (st?.isDirectory()) watchTree(rel);
    else if (st?.isSymbolicLink()) watchLink(rel);
  };

  // The repository root itself (not its subdirectories): hub.yaml, and connectors/ removed and created again.
  const top = watchDir('', (event, name) => {
    if (name !== null && name !== HUB_FILE && name !== CONNECTORS) return;
    changed(name ?? CONNECTORS);
    // hub.yaml replaced (a symlink to a file elsewhere made or removed): its link watch follows.
    // connectors/ made again: files written into it before its watch was set raised no event; the pass this call asks for finds them.
    if (name === HUB_FILE) {
      if (event === 'rename') follow(HUB_FILE);
    } else if (event === 'rename' || !watchers.has(CONNECTORS)) follow(CONNECTORS);
  });
  top?.on('error', () => changed(CONNECTORS));
  watchTree(CONNECTORS);
  if (infoAt(path.join(root, HUB_FILE), true)?.isSymbolicLink()) watchLink(HUB_FILE);
  // The start's reconcile ran before these watches were set: one more pass catches an edit made in between.
  setImmediate(() => closed || onChange([]));

  /**
   * Directories outside connectors/ holding files connectors read, and the names in each that
   * count. Each has a watch on itself or, while it is missing, on its nearest parent that is
   * there, waiting for it to be made: a checkout away and back, which changes no connector
   * file (so no pass calls followFiles again), is followed all the same.
   */
  const outside = new Map<string, { w?: FSWatcher; up?: FSWatcher; names: Set<string> }>();
  const named = (dir: string, name: string) => (dir === '.' ? name : `${dir}/${name}`);
  const touchAll = (dir: string) => outside.get(dir)?.names.forEach((n) => changed(named(dir, n)));

  /** (Re)sets the watch for outside directory `dir`: on it when it is a directory, else on the nearest parent that is one. */
  const armOutside = (dir: string) => {
    const o = outside.get(dir);
    if (!o || closed) return;
    const old = [o.w, o.up]; // closed once the new watches are set: no event is lost in between
    const abs = path.join(root, dir);
    const st = infoAt(abs);
    let w: FSWatcher | undefined;
    let up: FSWatcher | undefined;
    // The next directory towards it made; or (`gone`) it removed, moved or replaced, or its watch failed: its files are gone or new.
    const made = (gone = false) => {
      if (outside.get(dir) !== o || o.w !== w) return;
      armOutside(dir); // one step nearer, or on the directory itself: files written into it before then raised no event
      if (gone || infoAt(abs)?.isDirectory()) touchAll(dir);
    };
    if (st?.isDirectory()) {
      w = watchDir(dir, (event, name) => {
        if (outside.get(dir) !== o || o.w !== w) return; // a watch set again since
        if (name === null) touchAll(dir);
        else if (o.names.has(name)) changed(named(dir, name));
        // Its own event bears its name; replaced, its inode differs.
        if (event === 'rename' && (name === path.basename(abs) || infoAt(abs)?.ino !== st.ino)) made(true);
      });
      // Removed (and maybe made again) by another process since the look: looked at again.
      if (missing) return armOutside(dir);
      // A symlink on its way (docs/prompts -> ../v1, or docs -> v1) re-pointed raises no event in the directory it led to; in its parent, it does.
      let link = abs;
      while (link.startsWith(`${root}/`) && !infoAt(link, true)?.isSymbolicLink()) link = path.dirname(link);
      if (link.startsWith(`${root}/`)) up = waitFor(link, dir, () => made(true), true);
    } else w = waitFor(abs, dir, made);
    for (const x of [w, up]) x?.on('error', () => made(true));
    o.w = w;
    o.up = up;
    for (const x of old) x?.close();
  };

  return {
    followFiles(files) {
      if (closed) return;
      const wanted = new Map<string, Set<string>>();
      for (const f of files) {
        if (f === HUB_FILE || f.startsWith(`${CONNECTORS}/`)) continue; // watched already
        const dir = path.posix.dirname(f);
        wanted.set(dir, (wanted.get(dir) ?? new Set<string>()).add(path.posix.basename(f)));
      }
      for (const [dir, o] of outside) {
        if (wanted.has(dir)) continue;
        for (const x of [o.w, o.up]) x?.close();
        outside.delete(dir);
      }
      for (const [dir, names] of wanted) {
        // Watched anew at each call as well, should a watch have died unnoticed: setting one again loses nothing.
        const known = outside.get(dir);
        if (known) known.names = names;
        else outside.set(dir, { names });
        armOutside(dir);
      }
    },
    rescan: () => {
      if (!closed) rescan(CONNECTORS);
    },
    close() {
      closed = true;
      burst.cancel();
      for (const w of [top, ...watchers.values(), ...[...outside.values()].flatMap((o) => [o.w, o.up])]) w?.close();
      watchers.clear();
      outside.clear();
      return Promise.resolve();
    },
  };
}
