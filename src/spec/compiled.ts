import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import type { ValidateFunction } from 'ajv';

/** Our compiled schemas, by the name each is exported under. */
export type SchemaName = 'connector' | 'hub';

/** How a validator script is run: as CommonJS, with its module, exports and require. */
export const wrapScript = (source: string): string => `(function (module, exports, require) {${source}\n})`;

/** Where `npm run build` puts a schema's validator script and V8's code cache of it (scripts/cache-validators.js). */
export function compiledFiles(name: SchemaName, dir: URL = new URL('./', import.meta.url)): { script: URL; cache: URL } {
  return { script: new URL(`${name}.validator.cjs`, dir), cache: new URL(`${name}.validator.v8cache`, dir) };
}

/**
 * A schema's validator from the script the build wrote beside this module, compiled from
 * V8's code cache of it: the same code as the ES module in *.generated.ts, without parsing
 * and compiling its ~150 KB at every start (~13 ms of each command, a tenth of `validate`).
 * A cache made by another Node is refused by V8, and the script is compiled as usual.
 * Undefined where the build wrote no script (tests running the sources): the caller
 * imports the ES module instead.
 */
export function compiledValidator(name: SchemaName, dir?: URL): ValidateFunction | undefined {
  const files = compiledFiles(name, dir);
  let source: string;
  try {
    source = readFileSync(files.script, 'utf8');
  } catch {
    return undefined;
  }
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(files.cache);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(wrapScript(source), { filename: fileURLToPath(files.script), ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as Record<string, unknown> };
  (script.runInThisContext() as (m: typeof module, e: object, r: NodeRequire) => void)(module, module.exports, createRequire(files.script));
  return module.exports[name] as ValidateFunction;
}
