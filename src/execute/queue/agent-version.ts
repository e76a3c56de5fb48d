import { execFile } from 'node:child_process';

const cache = new Map<string, Promise<string | null>>();

/**
 * The agent CLI's version as this machine has it (`<command> --version`, first line), read
 * once per command: recorded on each run, since workers may run different versions.
 * Null when the command has no version to tell (it failed, or took over 5 s).
 */
export function agentVersion(command: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  let v = cache.get(command);
  if (!v) {
    v = new Promise((resolve) => {
      execFile(command, ['--version'], { env, timeout: 5000 }, (err, stdout) => {
        const line = String(stdout ?? '').split('\n')[0]?.trim() ?? '';
        resolve(err || !line ? null : line.slice(0, 200));
      });
    });
    cache.set(command, v);
  }
  return v;
}
