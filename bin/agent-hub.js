#!/usr/bin/env node
// Runs the compiled CLI: the package ships it in dist/; in a clone, `npm run build` makes it.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('agent-hub: not built yet; run `npm run build` in the agent-hub directory\n');
  process.exit(70);
}
// `agent-hub history | head`: a closed pipe ends the output quietly, like any Unix tool.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
