/** A problem the user can fix: printed without a stack, exit code 1 unless told otherwise. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Bad command-line usage: exit code 2. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** A check or run that failed after being reported: exit 1 without printing anything more. */
export class ExitError extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}
