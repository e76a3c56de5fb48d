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
console.log(JSON.stringify({ ms, runs: result.runs, maxRssMb: process.resourceUsage().maxRSS / 1024, dbMb }));
