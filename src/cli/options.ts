/** Options every command takes (`--repo`, `--json`). */
export interface GlobalOptions {
  repo?: string;
  json?: boolean;
}
