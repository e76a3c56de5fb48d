// `npm run bench`: every benchmark, each printing a table of figures against its target.
const suites = process.argv.slice(2);
const all = { registry: () => import('./registry.js'), runs: () => import('./runs.js'), gitstate: () => import('./gitstate.js'), daemon: () => import('./daemon.js'), faults: () => import('./faults.js'), queue: () => import('./queue.js') };
for (const [name, load] of Object.entries(all)) {
  if (suites.length && !suites.includes(name)) continue;
  const mod = await load();
  await mod.run();
}
