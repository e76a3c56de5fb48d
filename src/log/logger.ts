/** The logging the hub's parts need; pino's logger fits it, and so does the silent one. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = () => {};

/** Logs nothing: for the CLI's one-shot commands and for tests. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
