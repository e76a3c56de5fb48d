#!/usr/bin/env node
// Runs the compiled CLI: the package ships it in dist/; in a clone, `npm run build` makes it.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  // A problem the user fixes (exit 1, as the README's table says), told as every error is.
  const message = 'not built yet: run `npm run build` in the agent-hub directory';
  process.stderr.write(`agent-hub: ${message}\n`);
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: { message, code: 'failed', exit: 1 } })}\n`);
  process.exit(1);
}
// `agent-hub history | head`: a closed pipe ends the output quietly, like any Unix tool.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
