import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { catFiles, git } from './git.js';

/** A file to put in a tree (or, with `blob: null`, to take out): path from the top of the work tree. */
export interface TreeFile {
  path: string;
  blob: string | null;
  mode?: string;
}

interface Entry {
  mode: string;
  name: string;
  sha: string;
}

const TREE_MODE = '40000';

/** Git orders tree entries by name, a directory's name compared as if it ended in "/". */
function compareEntries(a: Entry, b: Entry): number {
  const ka = a.mode === TREE_MODE ? `${a.name}/` : a.name;
  const kb = b.mode === TREE_MODE ? `${b.name}/` : b.name;
  return Buffer.compare(Buffer.from(ka), Buffer.from(kb));
}

function encodeTree(entries: Entry[]): Buffer {
  return Buffer.concat([...entries].sort(compareEntries).map((e) => Buffer.concat([Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.sha, 'hex')])));
}

function treeSha(content: Buffer): string {
  return createHash('sha1').update(`tree ${content.length}\0`).update(content).digest('hex');
}

function decodeTree(buf: Buffer): Entry[] {
  const entries: Entry[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const space = buf.indexOf(32, pos);
    const nul = buf.indexOf(0, space);
    entries.push({ mode: buf.subarray(pos, space).toString('latin1'), name: buf.subarray(space + 1, nul).toString('utf8'), sha: buf.subarray(nul + 1, nul + 21).toString('hex') });
    pos = nul + 21;
  }
  return entries;
}

/** Reads trees by `<tree-ish>:<dir>` names in one cat-file process; a missing one is undefined. */
async function readTrees(root: string, names: string[]): Promise<Array<Entry[] | undefined>> {
  return (await catFiles(root, names)).map((o) => (o?.type === 'tree' ? decodeTree(o.body) : undefined));
}

const LINK_MODE = '120000';

/** What a non-directory entry is, for errors. */
function kindOf(mode: string): string {
  return mode === LINK_MODE ? 'symlink' : mode === '160000' ? 'submodule' : 'file';
}

/** Why writing `path` over `existing` would replace a tracked symlink (or put a directory over a file), or undefined. */
function replaced(path: string, existing: Entry | undefined, asDirectory: boolean, mode: string | undefined): string | undefined {
  if (!existing || existing.mode === TREE_MODE) return undefined;
  if (asDirectory) return `"${path}" is a ${kindOf(existing.mode)} in the committed tree, and the hub never replaces one with a directory`;
  if (existing.mode === LINK_MODE && mode !== LINK_MODE) return `"${path}" is a symlink in the committed tree, and the hub never replaces one`;
  return undefined;
}

/**
 * Which of `paths` (from the top of the work tree) a commit on `base` could not take
 * without replacing a tracked symlink (or file, or submodule) on the way with a directory,
 * or a tracked symlink with a file: path → why. Reads the directories in one process.
 */
export async function pathsOverTrackedLinks(root: string, base: string, paths: readonly string[]): Promise<Map<string, string>> {
  const dirs = [...new Set(paths.flatMap((p) => p.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/')).concat('')))];
  const listings = await readTrees(root, dirs.map((d) => (d ? `${base}:${d}` : `${base}^{tree}`)));
  const byDir = new Map(dirs.map((d, i) => [d, listings[i]]));
  const out = new Map<string, string>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 0; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const here = parts.slice(0, i + 1).join('/');
      const entry = byDir.get(parent)?.find((e) => e.name === parts[i]);
      const why = replaced(here, entry, i < parts.length - 1, undefined);
      if (why) out.set(p, why);
      if (why || !entry) break;
    }
  }
  return out;
}

/**
 * The tree of `base` with `files` added or replaced, written without any index: only the
 * directories on the changed paths are read (one cat-file process) and written (one
 * hash-object process), so the cost follows the batch and the size of those directories,
 * never the number of files in the repository. SHA-1 repositories only.
 */
export async function treeWith(root: string, base: string | null, files: readonly TreeFile[]): Promise<string> {
  // Every directory on a changed path, and the changes each one gets directly.
  const dirs = new Map<string, Map<string, Entry | null>>([['', new Map()]]);
  for (const f of files) {
    const parts = f.path.split('/');
    const name = parts.pop() as string;
    let dir = '';
    for (const part of parts) {
      const child = dir ? `${dir}/${part}` : part;
      if (!dirs.has(child)) dirs.set(child, new Map());
      dir = child;
    }
    (dirs.get(dir) as Map<string, Entry | null>).set(name, f.blob === null ? null : { mode: f.mode ?? '100644', name, sha: f.blob });
  }
  const order = [...dirs.keys()];
  const listings = base ? await readTrees(root, order.map((d) => (d ? `${base}:${d}` : `${base}^{tree}`))) : [];
  const existing = new Map(order.map((d, i) => [d, listings[i] ?? []]));

  // Bottom-up: a directory's new sha is known before its parent is encoded.
  const written = new Map<string, Buffer>();
  const newSha = new Map<string, string>();
  const depth = (d: string) => (d ? d.split('/').length : 0);
  for (const dir of [...order].sort((a, b) => depth(b) - depth(a) || (a < b ? -1 : 1))) {
    const entries = new Map((existing.get(dir) ?? []).map((e) => [e.name, e]));
    for (const [name, e] of dirs.get(dir) as Map<string, Entry | null>) {
      // Callers leave such files out first (pathsOverTrackedLinks); this is the last guard.
      const why = e ? replaced(dir ? `${dir}/${name}` : name, entries.get(name), e.mode === TREE_MODE, e.mode) : undefined;
      if (why) throw new Error(why);
      if (e) entries.set(name, e);
      else entries.delete(name);
    }
    for (const child of order) {
      if (!child || child === dir) continue;
      const parent = child.includes('/') ? child.slice(0, child.lastIndexOf('/')) : '';
      if (parent !== dir) continue;
      const name = child.slice(parent ? parent.length + 1 : 0);
      const sha = newSha.get(child);
      const why = sha ? replaced(child, entries.get(name), true, TREE_MODE) : undefined;
      if (why) throw new Error(why);
      // A directory left empty by deletions disappears, as in git.
      if (sha) entries.set(name, { mode: TREE_MODE, name, sha });
      else if (entries.get(name)?.mode === TREE_MODE) entries.delete(name); // a tracked symlink there stays
    }
    if (entries.size === 0 && dir) continue;
    const content = encodeTree([...entries.values()]);
    const sha = treeSha(content);
    newSha.set(dir, sha);
    written.set(sha, content);
  }

  // Write the new trees in one process (git checks each one as it stores it).
  const tmp = mkdtempSync(path.join(tmpdir(), 'agent-hub-trees-'));
  try {
    const paths = [...written.entries()].map(([sha, content]) => {
      const file = path.join(tmp, sha);
      writeFileSync(file, content);
      return file;
    });
    const stored = (await git(root, ['hash-object', '-t', 'tree', '-w', '--stdin-paths'], { input: `${paths.join('\n')}\n` })).stdout.trim().split('\n');
    const expected = [...written.keys()];
    if (stored.join() !== expected.join()) throw new Error('git stored different tree ids than computed');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return newSha.get('') as string;
}
