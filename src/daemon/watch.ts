import { watch, type FSWatcher } from 'chokidar';
import path from 'node:path';

/**
 * Watches connectors/ (connector files, prompt files, partials) and hub.yaml, and calls
 * `onChange` once per burst of events: an editor's write-temp-then-rename, a `git pull`
 * touching many files, a directory deleted and created again all end in one reconcile.
 * The reconcile itself reads the whole directory, so no single event needs to be right.
 */
export function watchConnectors(root: string, onChange: (paths: string[]) => void, debounceMs = 50): FSWatcher {
  const connectors = path.join(root, 'connectors');
  const hubFile = path.join(root, 'hub.yaml');
  // The repository root is watched (not connectors/ itself) so the directory can be removed and recreated.
  const watcher = watch(root, {
    ignoreInitial: true,
    atomic: true,
    ignored: (p: string) => p !== root && p !== hubFile && p !== connectors && !p.startsWith(`${connectors}${path.sep}`),
  });
  let timer: NodeJS.Timeout | undefined;
  let batch = new Set<string>();
  watcher.on('all', (_event, p) => {
    batch.add(path.relative(root, p));
    clearTimeout(timer);
    timer = setTimeout(() => {
      const paths = [...batch];
      batch = new Set();
      onChange(paths);
    }, debounceMs);
  });
  // With thousands of files the watcher takes seconds to be ready, after the start's own
  // reconcile: an edit made in between raised no event, so one more pass when it is ready.
  watcher.once('ready', () => onChange([]));
  return watcher;
}
