// Applies in one fresh process, the way the CLI and the daemon do. Prints JSON figures.
//   node bench/apply-child.js ROOT cold        one apply (module loading included)
//   node bench/apply-child.js ROOT warm N      N no-change applies and N one-file-changed
//                                              applies in a process that has applied once,
//                                              each beside a stat of every connector file
import path from 'node:path';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { connectorYaml } from './lib.js';

const [root, mode, n = '5'] = process.argv.slice(2);
const t0 = performance.now();
const { openDb } = await import('../dist/registry/db.js');
const { reconcile } = await import('../dist/reconcile/reconcile.js');
const db = openDb(path.join(root, '.agent-hub/hub.db'));
const first = await reconcile(root, db);
const coldMs = performance.now() - t0;
const out = { coldMs, checked: first.desired.checked, counts: first.plan.counts, noChange: [], oneChange: [], oneChecked: [], statMs: [] };
/** The yardstick of an apply that finds one change: stat every connector file, the least any such apply must do. */
const statAll = () => {
  const t = performance.now();
  const dir = path.join(root, 'connectors');
  for (const name of readdirSync(dir)) statSync(path.join(dir, name));
  return performance.now() - t;
};
if (mode === 'warm') {
  for (let i = 0; i < Number(n); i++) {
    const r = await reconcile(root, db);
    out.noChange.push(r.durationMs);
  }
  for (let i = 0; i < Number(n); i++) {
    writeFileSync(path.join(root, 'connectors', `c-${i * 11}.yaml`), connectorYaml(i * 11, Date.now() + i));
    const r = await reconcile(root, db);
    out.oneChange.push(r.durationMs);
    out.oneChecked.push(r.desired.checked);
    out.statMs.push(statAll());
  }
}
db.close();
out.maxRssMb = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify(out));
