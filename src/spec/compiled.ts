import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
  return runScript(files.script, files.cache)?.[name] as ValidateFunction | undefined;
}

/** Where `npm run build` puts V8's code cache of js-yaml's CommonJS build (scripts/cache-validators.js). */
export const jsYamlCache = (dir: URL = new URL('./', import.meta.url)): URL => new URL('js-yaml.v8cache', dir);

/**
 * js-yaml, from its one-file CommonJS build compiled with the code cache the build took
 * after parsing the examples: ~8 ms where importing its ES module took ~20 (every command
 * that reads a connector file pays it). Without a cache (the sources), compiled as usual.
 * Undefined should the package lack that file: the caller imports the ES module.
 */
export function cachedJsYaml(dir?: URL): typeof import('js-yaml') | undefined {
  let script: URL;
  try {
    script = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('js-yaml/package.json')), 'dist', 'js-yaml.js'));
  } catch {
    return undefined;
  }
  return runScript(script, jsYamlCache(dir)) as typeof import('js-yaml') | undefined;
}

/** Runs a CommonJS script (module, exports, require) compiled with V8's code cache `cache` when there is one; its exports, or undefined when the script is missing. */
export function runScript(file: URL, cache: URL): Record<string, unknown> | undefined {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cache);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(wrapScript(source), { filename: fileURLToPath(file), ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as Record<string, unknown> };
  (script.runInThisContext() as (m: typeof module, e: object, r: NodeRequire) => void)(module, module.exports, createRequire(file));
  return module.exports;
}
