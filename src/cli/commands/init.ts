import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { git, insideWorkTree } from '../../gitstate/git.js';

const SCHEMAS = fileURLToPath(new URL('../../../schemas/', import.meta.url));

const HUB_YAML = `# yaml-language-server: $schema=./schemas/hub.schema.json
# agent-hub settings. Every field is optional; see schemas/hub.schema.json.
concurrency: 4
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
agent:
  maxTurns: 1
  timeout: 2m
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
  write('state/README.md', 'Written and committed by agent-hub: run records and a snapshot of the registry. Do not edit.\n');
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
    created.push(rel);
  };
  ensure('.gitignore', /^\/?\.agent-hub\/?$/m, "# agent-hub's local database, lock and logs\n.agent-hub/\n");
  ensure('.gitignore', /^\*\.agent-hub-tmp$/m, '# a write of agent-hub\'s that a crash cut short (it writes aside, then renames)\n*.agent-hub-tmp\n');
  ensure('.gitattributes', /^\/?state\/\*\* .*linguist-generated/m, '# written by agent-hub: collapsed in GitHub diffs, left out of language statistics\nstate/** linguist-generated=true\n');
  if (!insideWorkTree(root)) {
    await git(root, ['init', '--quiet', '--initial-branch=main']); // whatever init.defaultBranch says: examples and CI use main
    created.push('.git/');
  }
  process.stdout.write(created.length ? `created in ${root}:\n${created.map((c) => `  ${c}`).join('\n')}\n` : `${root} is already a hub repository; nothing to create\n`);
  const rel = path.relative(process.cwd(), root) || '.';
  const repoFlag = rel === '.' ? '' : ` --repo ${rel}`;
  process.stdout.write(`\nnext:\n  agent-hub validate${repoFlag}\n  agent-hub render hello${repoFlag}\n  agent-hub apply${repoFlag}\n  git -C ${rel} add -A && git -C ${rel} commit -m "agent-hub: initial connectors"\n`);
}
