import { Command, CommanderError, Option } from 'commander';
import { EXIT, ExitError, UsageError, UserError } from '../core/errors.js';

function collectInput(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`--input expects key=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

const repoOption = () => new Option('--repo <dir>', 'the hub repository').default(undefined, 'the current directory');
const jsonOption = () => new Option('--json', 'print machine-readable JSON');

/** Each command's module is imported only when that command runs, to keep start-up fast. */
function action(load: () => Promise<{ run: (...args: never[]) => Promise<void> | void }>) {
  return async (...args: unknown[]) => {
    const mod = await load();
    // Commander passes positional arguments, then the options object, then the command.
    await (mod.run as (...a: unknown[]) => Promise<void>)(...args.slice(0, -1));
  };
}

function buildProgram(): Command {
  const program = new Command('agent-hub')
    .description('Run scheduled AI agents from a git repository, the GitOps way.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run agent-hub --help for usage)')
    .exitOverride();

  program.command('init').argument('[dir]', 'directory to create or fill', '.')
    .description('scaffold a hub repository: git, hub.yaml, connectors/, an example connector')
    .action(action(() => import('./commands/init.js')));

  program.command('validate').description('check every connector file; exit 1 on any error')
    .addOption(repoOption()).addOption(jsonOption())
    .action(action(() => import('./commands/validate.js')));

  program.command('plan').description('show what apply would create, change or remove, with prompt diffs')
    .addOption(repoOption()).addOption(jsonOption())
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown']).default('text'))
    .option('--base <ref>', 'compare with the connectors at this git ref (e.g. origin/main) instead of the registry')
    .action(action(() => import('./commands/plan.js')));

  program.command('apply').description('bring the registry in line with the connector files')
    .addOption(repoOption()).addOption(jsonOption())
    .action(action(() => import('./commands/apply.js')));

  program.command('render').argument('<id>', 'connector id').description('print the rendered prompt of a connector')
    .addOption(repoOption()).addOption(jsonOption())
    .option('-i, --input <key=value>', 'set an input (repeatable)', collectInput)
    .action(action(() => import('./commands/render.js')));

  program.command('run').argument('<id>', 'connector id').description('run a connector now, in the foreground; exit 1 if the run fails')
    .addOption(repoOption()).addOption(jsonOption())
    .option('-i, --input <key=value>', 'set an input (repeatable)', collectInput)
    .option('--dry-run', 'print the exact argv and prompt without running anything')
    .action(action(() => import('./commands/run.js')));

  program.command('history').argument('[id]', 'only this connector').description('recorded runs, newest first')
    .addOption(repoOption()).addOption(jsonOption())
    .addOption(new Option('--status <status>', 'only runs with this status').choices(['pending', 'running', 'success', 'failed']))
    .option('--limit <n>', 'at most this many runs', '20')
    .action(action(() => import('./commands/history.js')));

  program.command('show').argument('<run-id>', 'run id (from history)').description('everything recorded about one run')
    .addOption(repoOption()).addOption(jsonOption())
    .option('--transcript', 'what the agent did: one line per message, tool call (with its command or path) and result')
    .action(action(() => import('./commands/show.js')));

  program.command('logs').argument('<run-or-connector>', 'a run id, or a connector id for its running (else last) run')
    .description('print a run\'s transcript; with -f, follow a running run live from the hub')
    .addOption(repoOption()).addOption(jsonOption())
    .option('-f, --follow', 'keep printing as the run goes, until it ends')
    .option('--url <url>', 'the running hub (default: the one started in this repository)')
    .action(action(() => import('./commands/logs.js')));

  program.command('pause').argument('<id>', 'connector id').description('stop a connector\'s scheduled and new runs now, until resumed (a drift from git)')
    .addOption(repoOption()).addOption(jsonOption())
    .option('--reason <text>', 'why, shown with the pause')
    .action(action(() => import('./commands/pause.js')));

  program.command('resume').argument('<id>', 'connector id').description('undo agent-hub pause: the connector runs on its schedule again')
    .addOption(repoOption()).addOption(jsonOption())
    .action(action(() => import('./commands/resume.js')));

  program.command('status').description('connectors, schedules, next runs, states and errors')
    .addOption(repoOption()).addOption(jsonOption())
    .action(action(() => import('./commands/status.js')));

  program.command('snapshot').description('commit the recorded runs and a registry snapshot now')
    .addOption(repoOption()).addOption(jsonOption())
    .action(action(() => import('./commands/snapshot.js')));

  program.command('restore').description('rebuild .agent-hub/ from the state committed in the repository')
    .addOption(repoOption()).addOption(jsonOption())
    .action(action(() => import('./commands/restore.js')));

  program.command('start').description('run the hub: reconcile and watch the files, schedule and run, commit state, serve the API and dashboard')
    .addOption(repoOption())
    .option('--host <host>', 'listen on this address (default 127.0.0.1, or server.host in hub.yaml)')
    .option('--port <port>', 'listen on this port (default 7420, or server.port in hub.yaml; 0 picks a free one)')
    .option('--init-only', 'initialise (lock, restore or migrate, apply) and exit')
    .action(action(() => import('./commands/start.js')));

  return program;
}

/**
 * What ended a command, as the user sees it: the exit code, and what is printed. The one
 * place errors become exit codes (see the README's list): a user error prints its message
 * and never a stack; anything else is a bug, printed with its stack and a hint to report it.
 */
export async function reportFailure(err: unknown, write: (text: string) => void): Promise<number> {
  if (err instanceof CommanderError) {
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof ExitError) return err.exitStatus;
  if (err instanceof UserError) {
    write(`agent-hub: ${err.message}\n`);
    return err.exitStatus;
  }
  // A full disk or an I/O error is the machine's, not a bug (loaded only on this path).
  const { storageFailure } = await import('../registry/storage.js');
  const storage = storageFailure(err, 'the registry database');
  if (storage) {
    write(`agent-hub: ${storage} (${(err as Error).message}); fix that and run the command again\n`);
    return EXIT.failed;
  }
  write(`agent-hub: internal error: ${(err as Error)?.stack ?? String(err)}\n` +
    'This is a bug in agent-hub; please report it (https://github.com/agent-hub/agent-hub/issues) with the command you ran and the text above.\n');
  return EXIT.internal;
}

/** Runs the CLI and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    return reportFailure(err, (text) => process.stderr.write(text));
  }
}
