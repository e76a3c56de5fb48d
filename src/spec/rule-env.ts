import type { ConnectorSpec, Diagnostic, Severity } from '../core/types.js';

/** What a rule may look at besides the spec. */
export interface RuleEnv {
  file: string;
  root: string;
  locate(path: ReadonlyArray<string | number>, opts?: { key?: boolean }): { line: number; column: number };
  /** The connector file's text, to map positions inside a string value (an inline template). */
  text: string;
  /**
   * Whether the schema rejected this field, something in it or around it: the rules then run
   * on the rest of the file, and stay quiet about what would only repeat or guess at that error.
   */
  rejected(path: ReadonlyArray<string | number>): boolean;
}

export type Rule = (spec: ConnectorSpec, env: RuleEnv) => Diagnostic[];

/** Builds a diagnostic located at a field of the connector file. */
export function at(env: RuleEnv, path: Array<string | number>, message: string, hint: string | undefined, rule: string, severity: Severity = 'error', key = false): Diagnostic {
  return { file: env.file, ...env.locate(path, { key }), path: path.join('.'), message, severity, rule, ...(hint ? { hint } : {}) };
}
