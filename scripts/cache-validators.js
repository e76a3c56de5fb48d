// After tsc (`npm run build`): writes each schema's validator as a CommonJS script beside
// dist/spec/compiled.js, with V8's code cache of it once it has checked some documents, so
// a command starts without parsing and compiling the validators (see src/spec/compiled.ts);
// and V8's code cache of js-yaml's CommonJS build, once it has parsed the examples.
//   node scripts/cache-validators.js
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import yaml from 'js-yaml';
import { generateScript } from './gen-validators.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const { compiledFiles, jsYamlCache, wrapScript } = await import(path.join(root, 'dist/spec/compiled.js'));

/** Documents to check before the cache is taken, valid and not, so their code is compiled into it. */
function samples(name) {
  const examples = path.join(root, 'examples');
  const broken = { bogus: true, prompt: 1, schedule: 5, inputs: { x: { type: 'nope' } }, agent: { type: 'nope', permissionMode: 1, env: { a: 1 } }, output: { format: 'x' } };
  if (name === 'hub') return [yaml.load(readFileSync(path.join(examples, 'hub.yaml'), 'utf8')), {}, { bogus: 1, concurrency: 'x', defaults: { timeout: 5 }, state: { transcripts: 'x' } }];
  const dir = path.join(examples, 'connectors');
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  return [...files.map((f) => yaml.load(readFileSync(path.join(dir, f), 'utf8'))), {}, broken];
}

for (const name of ['connector', 'hub']) {
  const files = compiledFiles(name, new URL(`file://${path.join(root, 'dist/spec')}/`));
  const source = generateScript(name);
  writeFileSync(files.script, source);
  const script = new Script(wrapScript(source), { filename: fileURLToPath(files.script) });
  const module = { exports: {} };
  script.runInThisContext()(module, module.exports, createRequire(files.script));
  for (const doc of samples(name)) module.exports[name](doc);
  writeFileSync(files.cache, script.createCachedData());
}

// js-yaml's one-file CommonJS build, with its code cache taken after parsing every example
// (src/spec/compiled.ts, cachedJsYaml): the script itself is read from node_modules.
{
  const require = createRequire(import.meta.url);
  const file = path.join(path.dirname(require.resolve('js-yaml/package.json')), 'dist', 'js-yaml.js');
  const script = new Script(wrapScript(readFileSync(file, 'utf8')), { filename: file });
  const module = { exports: {} };
  script.runInThisContext()(module, module.exports, createRequire(file));
  const { MAX_NESTING } = await import(path.join(root, 'dist/core/depth.js'));
  const options = { schema: module.exports.CORE_SCHEMA, json: false, maxDepth: MAX_NESTING }; // as src/spec/yaml.ts parses
  const examples = path.join(root, 'examples');
  for (const f of readdirSync(path.join(examples, 'connectors')).filter((n) => /\.ya?ml$/.test(n))) module.exports.load(readFileSync(path.join(examples, 'connectors', f), 'utf8'), options);
  module.exports.load(readFileSync(path.join(examples, 'hub.yaml'), 'utf8'), options);
  writeFileSync(fileURLToPath(jsYamlCache(new URL(`file://${path.join(root, 'dist/spec')}/`))), script.createCachedData());
}
