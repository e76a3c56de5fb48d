import { formatDiagnostic } from '../../core/diagnostic.js';
import { followCommits } from '../../reconcile/commits.js';
import { reconcile } from '../../reconcile/reconcile.js';
import { getConnector } from '../../registry/connectors.js';
import { createExecution } from '../../execute/factory.js';
import { abandonOwnRuns } from '../../execute/orphans.js';
import { configuredBackend } from '../../execute/queue/index.js';
import { findAgentType, unknownAgentType } from '../../agents/index.js';
import { shellLine } from '../../agents/result.js';
import { agentSettings } from '../../spec/hub-config.js';
import { agentEnvironment } from '../../execute/environment.js';
import { Redactor } from '../../execute/redact.js';
import { resolveInputs } from '../../template/inputs.js';
import { renderPrompt } from '../../template/render.js';
import { ExitError, UserError } from '../../core/errors.js';
import { color, printJson } from '../output.js';
import { openRegistry, resolveRepo } from '../repo.js';
import { requireHubConfig } from '../../spec/hub-config.js';
import type { GlobalOptions } from '../options.js';
import { describeExecution } from '../execution-format.js';
import { GitState } from '../../gitstate/state.js';
import { RunEvents } from '../../execute/live.js';
import { formatEvent } from '../transcript-format.js';

interface RunOptions extends GlobalOptions {
  input?: Record<string, string>;
  dryRun?: boolean;
}

/**
 * `agent-hub run <id>`: applies the connector files first (so the run uses what is on
 * disk, or the last good version if the file is broken), then runs in the foreground.
 */
export async function run(id: string, opts: RunOptions): Promise<void> {
  const root = resolveRepo(opts.repo);
  const config = requireHubConfig(root);
  const db = openRegistry(root);
  try {
    const applied = await reconcile(root, db);
    await followCommits(root, db, applied, { onlyUncommitted: true }); // the run records the commit its files are in
    const broken = applied.plan.actions.find((a) => a.kind === 'invalid' && a.id === id);
    if (broken && broken.kind === 'invalid') {
      process.stderr.write(color.yellow(`warning: ${broken.file.path} is invalid; running the last good version\n${broken.file.diagnostics.map(formatDiagnostic).join('\n')}\n`));
    }
    const connector = getConnector(db, id);
    if (!connector?.active) throw new UserError(`no connector "${id}" (see agent-hub status)`);

    if (opts.dryRun) {
      const { spec } = connector.version;
      const inputs = resolveInputs(spec.inputs, opts.input ?? {}, true);
      if (!inputs.ok) throw new UserError(`bad inputs for ${id}:\n  ${inputs.errors.join('\n  ')}`, 2);
      const prompt = renderPrompt(connector.version, inputs.values, { id: 'dry-run', trigger: 'manual' });
      const agent = findAgentType(spec.agent.type);
      if (!agent) throw new UserError(unknownAgentType(spec.agent.type));
      const inv = agent.invocation(spec, { root, settings: agentSettings(config, agent.name) });
      const environment = agentEnvironment(spec.agent.type, spec.agent.env);
      const redact = new Redactor(environment.secrets);
      const argv = redact.value([inv.command, ...inv.args]);
      const env = Object.keys(spec.agent.env).sort();
      const missing = [...new Set(environment.missing)];
      // What a real run would refuse before spawning: said now, not after the next scheduled run failed.
      for (const name of missing) process.stderr.write(color.yellow(`warning: agent.env refers to \${${name}}, not set in this environment: a run here would fail (spawn-error)\n`));
      if (opts.json) printJson({ id, argv, cwd: spec.agent.cwd ?? '(a new temporary directory)', timeout: spec.agent.timeout, env, missing, prompt: redact.text(prompt) });
      else {
        const where = `# cwd: ${spec.agent.cwd ?? 'a new temporary directory'}; timeout: ${spec.agent.timeout}\n${env.length ? `# env: ${env.join(', ')} (values not shown)\n` : ''}`;
        process.stdout.write(`# argv (the prompt goes to stdin)\n${shellLine(argv[0] as string, argv.slice(1))}\n${where}\n# prompt\n${redact.text(prompt)}${prompt.endsWith('\n') ? '' : '\n'}`);
      }
      return;
    }

    // The run's record is written for git at once; the daemon's next commit (or `agent-hub snapshot`) commits it.
    const live = new RunEvents();
    // With workers, this process reads its run's result from a queue of its own (the daemon reads the shared one).
    const backend = configuredBackend(config, process.env, { ownResults: true });
    const executor = createExecution({ db, root, hub: config, records: new GitState(db, root, config), live, ...(backend ? { backend } : {}) });
    const submitted = executor.submit({ connectorId: id, trigger: 'manual', inputs: opts.input ?? {}, coerceInputs: true });
    if (submitted.status === 'refused') throw new UserError(submitted.message);
    // At a terminal, what the agent does is shown as it happens (a retry is another run: the first one's steps only).
    if (process.stderr.isTTY && !opts.json && submitted.status === 'queued') {
      live.subscribe(submitted.id, (e) => e.kind !== 'end' && process.stderr.write(color.dim(`${formatEvent(e)}\n`)));
    }
    // Ctrl-C or SIGTERM cancels the run (its agent gets the kill grace); a second Ctrl-C does
    // not wait for that: the agent is killed, the run recorded as interrupted, exit 130.
    let cancelling = false;
    const interrupt = (signal: NodeJS.Signals) => {
      if (!cancelling) {
        cancelling = true;
        executor.cancel(submitted.id, 'interrupted from the terminal');
      } else if (signal === 'SIGINT') {
        abandonOwnRuns(db, new Date());
        process.exit(130);
      }
    };
    process.on('SIGINT', interrupt);
    process.on('SIGTERM', interrupt);
    const execution = submitted.status === 'failed' ? await executor.wait(submitted.id) : await executor.waitFinal(submitted.id);
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await executor.stop(0); // closes a queue's connections; nothing runs any more
    if (opts.json) printJson(execution);
    else process.stdout.write(describeExecution(execution, { short: true }));
    if (execution.status !== 'success') throw new ExitError(1);
  } finally {
    db.close();
  }
}
