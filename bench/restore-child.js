// Restores one repository in a fresh process, as `agent-hub restore` does. Prints JSON figures.
//   node bench/restore-child.js ROOT
const [root] = process.argv.slice(2);
const t0 = performance.now();
const { restore } = await import('../dist/gitstate/restore.js');
const result = await restore(root, {});
console.log(JSON.stringify({ ms: performance.now() - t0, runs: result.runs, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
