import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { git, insideWorkTree } from '../../gitstate/git.js';

const SCHEMAS = fileURLToPath(new URL('../../../schemas/', import.meta.url));

const HUB_YAML = `# yaml-language-server: $schema=./schemas/hub.schema.json
# agent-hub settings. Every field is optional; see schemas/hub.schema.json.
concurrency: 4
state:
  # Run records and the registry snapshot are committed on this branch of their own, with
  # git plumbing: never on the branch you have checked out (a feature branch never collects
  # state commits), never touching your work tree or index. Read them with
  # \`git log agent-hub/state\`. Remove this line to commit state next to the connectors on
  # the branch the hub started on instead (see docs/git-state.md).
  branch: agent-hub/state
`;

const EXAMPLE = `# yaml-language-server: $schema=../schemas/connector.schema.json
name: Hello
description: A first connector. Run it with \`agent-hub run hello\`, preview it with \`agent-hub render hello\`.
# schedule: "0 9 * * 1-5"   # uncomment to run at 09:00 on weekdays
# timezone: Europe/Paris
inputs:
  topic:
    type: string
    default: the weather
prompt: |
  In two sentences, say something cheerful about {{inputs.topic}}.
  Answer directly from what you know: use no tools and read no files.
agent:
  # A model may still try a tool first; a denied call costs a turn, so leave room for the answer.
  maxTurns: 5
  disallowedTools: [Bash, Edit, Write]
  timeout: 2m
budget:
  maxCostUsdPerRun: 0.10
`;

/** `agent-hub init [dir]`: a hub repository, ready to validate and apply. Never overwrites a file. */
export async function run(dir: string): Promise<void> {
  const root = path.resolve(dir);
  mkdirSync(root, { recursive: true });
  const created: string[] = [];
  const write = (rel: string, content: string) => {
    const abs = path.join(root, rel);
    if (existsSync(abs)) return;
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, content);
    created.push(rel);
  };
  write('hub.yaml', HUB_YAML);
  write('connectors/hello.yaml', EXAMPLE);
  write('connectors/partials/README.md', 'Shared Handlebars partials: `connectors/partials/footer.hbs` is used as `{{> footer}}`.\n');
  write('state/README.md', 'Written and committed by agent-hub: run records and a snapshot of the registry, on the branch `state.branch` in hub.yaml names (`git log agent-hub/state -- state/`). Do not edit.\n');
  for (const schema of ['connector.schema.json', 'hub.schema.json']) {
    const target = path.join(root, 'schemas', schema);
    if (!existsSync(target)) {
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(path.join(SCHEMAS, schema), target);
      created.push(`schemas/${schema}`);
    }
  }
  // Appends a block to a file unless a line of it is already there (a user's file is kept).
  const ensure = (rel: string, present: RegExp, block: string) => {
    const abs = path.join(root, rel);
    const current = existsSync(abs) ? readFileSync(abs, 'utf8') : '';
    if (present.test(current)) return;
    writeFileSync(abs, `${current}${current && !current.endsWith('\n') ? '\n' : ''}${block}`);
    if (!created.includes(rel)) created.push(rel);
  };
  ensure('.gitignore', /^\/?\.agent-hub\/?$/m, "# agent-hub's local database, lock and logs\n.agent-hub/\n");
  ensure('.gitignore', /^\*\.agent-hub-tmp$/m, '# a write of agent-hub\'s that a crash cut short (it writes aside, then renames)\n*.agent-hub-tmp\n');
  ensure('.gitattributes', /^\/?state\/\*\* .*linguist-generated/m, '# written by agent-hub: collapsed in GitHub diffs, left out of language statistics\nstate/** linguist-generated=true\n');
  if (!insideWorkTree(root)) {
    await git(root, ['init', '--quiet', '--initial-branch=main']); // whatever init.defaultBranch says: examples and CI use main
    created.push('.git/');
  }
  process.stdout.write(created.length ? `created in ${root}:\n${created.map((c) => `  ${c}`).join('\n')}\n` : `${root} is already a hub repository; nothing to create\n`);
  process.stdout.write(`\n${nextSteps(cdTarget(root), selfCommand())}`);
}

/** The directory to cd into, as the user would type it: relative below the current one, absolute elsewhere (not ../../../tmp/hub). */
function cdTarget(root: string): string {
  const rel = path.relative(process.cwd(), root);
  if (rel === '') return '.';
  return rel.split(path.sep)[0] === '..' ? root : rel;
}

/**
 * How the user runs agent-hub: `npx agent-hub-cli` when npx runs this copy (from npm's cache,
 * `_npx/<hash>/node_modules/`: no `agent-hub` on PATH then), `agent-hub` otherwise. Told by
 * where this file is, not by npm's variables, which every process npx starts inherits.
 */
function selfCommand(): string {
  const here = fileURLToPath(import.meta.url);
  if (!here.split(path.sep).includes('_npx')) return 'agent-hub';
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { name?: string };
  return `npx ${manifest.name ?? 'agent-hub-cli'}`;
}

/** What to type next: into the hub, run the example once, commit the connectors, start the hub. */
export function nextSteps(rel: string, command = 'agent-hub'): string {
  const cd = rel === '.' ? '' : `  cd ${/^[\w./-]+$/.test(rel) ? rel : JSON.stringify(rel)}\n`;
  const [run, start] = [`${command} run hello`, `${command} start`];
  const width = run.length + 6;
  return `next:\n${cd}` +
    `  ${run.padEnd(width)} # run the example once (needs \`claude\` on PATH, logged in or ANTHROPIC_API_KEY set)\n` +
    '  git add -A && git commit -m "agent-hub: initial connectors"\n' +
    `  ${start.padEnd(width)} # the hub: schedules, watches connectors/, commits state, http://127.0.0.1:7420/\n`;
}
