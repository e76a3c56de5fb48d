/**
 * Runs `fn` capturing no stack for the errors made meanwhile: for system calls whose
 * failure is expected and dropped (a signal to a process group already gone, a prompt
 * written to an agent that exited without reading it). Capturing the stack of such an
 * error cost more than the call itself, once or twice a run.
 */
export function withoutStack<T>(fn: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fn();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
