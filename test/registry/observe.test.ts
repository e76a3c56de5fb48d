import { describe, expect, it, onTestFinished } from 'vitest';
import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { openDb, type Db } from '../../src/registry/db.js';
import { observe } from '../../src/registry/connectors.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { testdir, writeFiles } from '../helpers/repo.js';

const c = (prompt: string, extra: Record<string, unknown> = {}) => JSON.stringify({ prompt, ...extra });

/** What a fresh connection reads of the registry: the truth the hub's cached view must equal. */
function freshView(file: string) {
  const db = openDb(file);
  try {
    const { observed, cache } = observe(db);
    return { observed, digest: cache.digest, entries: Object.fromEntries(cache.entries) };
  } finally {
    db.close();
  }
}

function cachedView(db: Db) {
  const { observed, cache } = observe(db);
  return { observed, digest: cache.digest, entries: Object.fromEntries(cache.entries) };
}

describe("a long-lived hub's view of the registry after its own applies", () => {
  it('equals what a fresh read finds, through creates, edits, a broken file, a rename and a removal', async () => {
    const root = testdir({ 'connectors/a.yaml': c('a'), 'connectors/b.yaml': c('b'), 'connectors/c.yaml': c('c') });
    const file = path.join(root, '.agent-hub/hub.db');
    const db = openDb(file);
    onTestFinished(() => {
      db.close();
    });
    const steps: Array<() => void> = [
      () => undefined,
      () => writeFiles(root, { 'connectors/a.yaml': c('a, edited') }),
      () => writeFiles(root, { 'connectors/b.yaml': 'prompt: [unclosed' }),
      () => writeFiles(root, { 'connectors/b.yaml': c('b, fixed'), 'connectors/d.yaml': c('d') }),
      () => renameSync(path.join(root, 'connectors/c.yaml'), path.join(root, 'connectors/c2.yaml')),
      () => writeFiles(root, { 'connectors/c2.yaml': c('c moved', { id: 'c' }) }),
      () => rmSync(path.join(root, 'connectors/d.yaml')),
    ];
    for (const step of steps) {
      step();
      const r = await reconcile(root, db);
      expect(r.blocking).toEqual([]);
      observe(db); // the view the next reconcile plans against
      expect(cachedView(db)).toEqual(freshView(file));
    }
  });
});
