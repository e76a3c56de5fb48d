// Restores one repository in a fresh process, as `agent-hub restore` does. Prints JSON figures.
//   node bench/restore-child.js ROOT
import { statSync } from 'node:fs';
import path from 'node:path';

const [root] = process.argv.slice(2);
const t0 = performance.now();
const { restore } = await import('../dist/gitstate/restore.js');
const result = await restore(root, {});
const ms = performance.now() - t0;
const dbMb = statSync(path.join(root, '.agent-hub/hub.db')).size / 1024 / 1024;
// What the dashboard, `history` and the API read on every call: the newest runs.
const { openDb } = await import('../dist/registry/db.js');
const { listExecutions } = await import('../dist/registry/executions.js');
const db = openDb(path.join(root, '.agent-hub/hub.db'));
const times = [];
for (let i = 0; i < 9; i++) {
  const t = performance.now();
  listExecutions(db, { limit: 50 });
  times.push(performance.now() - t);
}
db.close();
const newestMs = times.sort((a, b) => a - b)[4];
console.log(JSON.stringify({ ms, runs: result.runs, maxRssMb: process.resourceUsage().maxRSS / 1024, dbMb, newestMs }));
