import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { EXIT, ExitError, UsageError, UserError } from '../core/errors.js';

function collectInput(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`--input expects key=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

const repoOption = () => new Option('--repo <dir>', 'the hub repository').default(undefined, 'the current directory');
const jsonOption = () => new Option('--json', 'print machine-readable JSON on stdout, errors included');

/** Each command's module is imported only when that command runs, to keep start-up fast. */
function action(load: () => Promise<{ run: (...args: never[]) => Promise<void> | void }>) {
  return async (...args: unknown[]) => {
    const mod = await load();
    // Commander passes positional arguments, then the options object, then the command.
    await (mod.run as (...a: unknown[]) => Promise<void>)(...args.slice(0, -1));
  };
}

/** This package's version, from its package.json (npm_package_version would be the version of whatever package ran us). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function buildProgram(json: boolean): Command {
  const program = new Command('agent-hub')
    .description('Run scheduled AI agents from a git repository, the GitOps way.')
    .version(packageVersion())
    .showHelpAfterError('(run agent-hub --help for usage)')
    .exitOverride();
  // With --json, a usage error is printed once, as JSON, by reportFailure; subcommands inherit this.
  if (json) program.configureOutput({ outputError: () => undefined, writeErr: () => undefined });

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
    .hook('preAction', (cmd) => {
      // Two output formats at once: refused rather than one silently ignored.
      if (cmd.opts().json && cmd.getOptionValueSource('format') !== 'default') throw new UsageError('--json and --format cannot be used together: --json prints the plan as JSON; drop one of them');
    })
    .action(action(() => import('./commands/plan.js')));

  program.command('apply').description('bring the registry in line with the connector files')
    .addOption(repoOption()).addOption(jsonOption())
    .action(action(() => import('./commands/apply.js')));

  program.command('render').argument('<id>', 'connector id').description('print the rendered prompt of a connector')
    .addOption(repoOption()).addOption(jsonOption())
    .option('-i, --input <key=value>', 'set an input (repeatable)', collectInput)
    .option('--event <file.json>', 'render as for an event with this payload (a saved webhook body)')
    .option('--event-name <name>', 'the event name (X-GitHub-Event); default: the first one the connector listens to')
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

  program.command('worker').description('run the hub\'s jobs from a BullMQ queue on Redis, on this machine (see docs/workers.md)')
    .option('--queue <url>', 'the Redis server: redis://host:6379, rediss:// for TLS (default: $AGENT_HUB_QUEUE_URL)')
    .option('--prefix <prefix>', 'key prefix, as hub.yaml\'s queue.prefix (default agent-hub)')
    .option('--concurrency <n>', 'runs at once, per agent type (default 1)')
    .option('--agents <types>', 'agent types this machine has, comma-separated (default: all)')
    .option('--repo <dir>', 'a clone of the hub\'s repository: runs using it (agent.cwd, mcpConfig, addDirs) run in a worktree at the run\'s commit')
    .option('--name <name>', 'this worker\'s name (default: host-pid)')
    .option('--lost-after <duration>', 'a run whose worker is silent this long fails as worker lost (default 30s)')
    .option('--grace <duration>', 'on SIGTERM, how long running runs may finish before they are stopped (default 30s)')
    .action(action(() => import('./commands/worker.js')));

  return program;
}

/**
 * What ended a command, as the user sees it: the exit code, and what is printed. The one
 * place errors become exit codes (see the README's list): a user error prints its message
 * and never a stack; anything else is a bug, printed with its stack and a hint to report it.
 */
export async function reportFailure(err: unknown, write: (text: string) => void, format: 'text' | 'json' = 'text'): Promise<number> {
  const failure = await describeFailure(err);
  if (!failure) return err instanceof ExitError ? err.exitStatus : EXIT.ok;
  if (format === 'json') {
    const extra = { ...(failure.detail ? { detail: failure.detail } : {}), ...(failure.diagnostics ? { diagnostics: failure.diagnostics } : {}) };
    write(`${JSON.stringify({ error: { message: failure.message, code: failure.code, exit: failure.exit, ...extra } })}\n`);
  } else {
    write(failure.text);
  }
  return failure.exit;
}

interface Failure {
  exit: number;
  /** A stable name for scripts: usage, failed, newer-data, locked, config, storage, internal. */
  code: string;
  message: string;
  /** For a bug: the stack. */
  detail?: string;
  /** For a file's errors (an invalid hub.yaml): each with file, line, column and hint, as validate --json gives them. */
  diagnostics?: unknown[];
  /** What a person reads on stderr. */
  text: string;
}

const CODES: Record<number, string> = { [EXIT.failed]: 'failed', [EXIT.usage]: 'usage', [EXIT.newerData]: 'newer-data', [EXIT.locked]: 'locked', [EXIT.config]: 'config' };

/** What to print for an error that ended a command; none when there is nothing to say (help shown, already reported). */
async function describeFailure(err: unknown): Promise<Failure | undefined> {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return undefined;
    // Commander has printed its message on stderr itself (unless --json silenced it): the text form adds nothing.
    return { exit: EXIT.usage, code: 'usage', message: err.message.replace(/^error: /, ''), text: '' };
  }
  if (err instanceof ExitError) return undefined;
  if (err instanceof UserError) {
    // HubConfigError carries its diagnostics (read by shape: hub-config is not loaded for this).
    const diagnostics = (err as { diagnostics?: unknown }).diagnostics;
    return { exit: err.exitStatus, code: CODES[err.exitStatus] ?? 'failed', message: err.message, text: `agent-hub: ${err.message}\n`, ...(Array.isArray(diagnostics) ? { diagnostics } : {}) };
  }
  // A full disk or an I/O error is the machine's, not a bug (loaded only on this path).
  const { storageFailure } = await import('../registry/storage.js');
  const storage = storageFailure(err, 'the registry database');
  if (storage) {
    const message = `${storage} (${(err as Error).message}); fix that and run the command again`;
    return { exit: EXIT.failed, code: 'storage', message, text: `agent-hub: ${message}\n` };
  }
  const report = 'This is a bug in agent-hub; please report it (https://github.com/agent-hub/agent-hub/issues) with the command you ran and the text above.';
  const stack = (err as Error)?.stack ?? String(err);
  return {
    exit: EXIT.internal, code: 'internal', message: `internal error: ${(err as Error)?.message ?? String(err)}. ${report.replace('the text above', 'this output')}`, detail: stack,
    text: `agent-hub: internal error: ${stack}\n${report}\n`,
  };
}

/** Whether the command line asks for JSON (`--json` before any `--`): errors are then JSON too. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Runs the CLI and returns its exit code. With `--json`, an error is one JSON object on
 * stdout, `{"error":{"message","code","exit"}}`, so stdout always holds one JSON document.
 */
export async function main(argv: string[]): Promise<number> {
  const json = wantsJson(argv);
  try {
    await buildProgram(json).parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    return reportFailure(err, (text) => (json ? process.stdout : process.stderr).write(text), json ? 'json' : 'text');
  }
}
