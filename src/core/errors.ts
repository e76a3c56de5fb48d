/**
 * The few error kinds every layer throws; `cli/main.ts` alone turns them into output and
 * exit codes. Domain errors (an invalid hub.yaml, a held lock, a failed git command…)
 * extend `UserError`; anything else that reaches the top is a bug.
 */

/** Every exit code the CLI returns (the README lists them); sysexits(3) numbers beyond 2. */
export const EXIT = {
  ok: 0,
  /** A failed check or run, or a problem the message says how to fix. */
  failed: 1,
  /** Bad command-line usage or inputs. */
  usage: 2,
  /** The registry database was written by a newer agent-hub (EX_DATAERR): upgrade. */
  newerData: 65,
  /** A bug in agent-hub (EX_SOFTWARE). */
  internal: 70,
  /** Another agent-hub holds the repository's lock (EX_TEMPFAIL): try again once it stops. */
  locked: 75,
  /** hub.yaml is invalid (EX_CONFIG): restarting cannot help until it is fixed. */
  config: 78,
} as const;

/**
 * A problem the user can fix: the message says what to do; printed without a stack.
 * `exitStatus` is the CLI's (a GitError's `exitCode` is git's own).
 */
export class UserError extends Error {
  constructor(message: string, readonly exitStatus: number = EXIT.failed) {
    super(message);
  }
}

/** Bad command-line usage: exit 2. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** A check or run that failed and was already reported: exit with the code, print nothing more. */
export class ExitError extends Error {
  constructor(readonly exitStatus: number) {
    super(`exit ${exitStatus}`);
  }
}

/** A broken invariant: agent-hub itself is wrong (reported as a bug, with its stack). */
export class InternalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InternalError';
  }
}

/**
 * A user error carrying what the command was doing (`--base main: …`); any other error, a
 * bug, is returned unchanged so that it is still reported as one.
 */
export function inContext(err: unknown, before: string, after = ''): unknown {
  if (!(err instanceof UserError)) return err;
  return new UserError(`${before}: ${err.message}${after}`, err.exitStatus);
}
