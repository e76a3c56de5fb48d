import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import yaml from 'js-yaml';
import type { ValidateFunction } from 'ajv';
import { cachedJsYaml, compiledFiles, compiledValidator, jsYamlCache } from '../../src/spec/compiled.js';
import * as connectorModule from '../../src/spec/validators.generated.js';
import * as hubModule from '../../src/spec/hub-validator.generated.js';

// `npm run build` writes the validators as scripts with V8's code cache (scripts/cache-validators.js);
// the CLI loads those. They must answer exactly as the ES modules the sources use.
const root = path.join(import.meta.dirname, '..', '..');
const built = pathToFileURL(`${path.join(root, 'dist', 'spec')}/`);
const esm = {
  connector: (connectorModule as unknown as { connector: ValidateFunction }).connector,
  hub: (hubModule as unknown as { hub: ValidateFunction }).hub,
};

function answers(validate: ValidateFunction, docs: unknown[]) {
  return docs.map((d) => (validate(d) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword} ${e.message}`)));
}

const examples = path.join(root, 'examples', 'connectors');
const connectorDocs = [
  ...readdirSync(examples).filter((f) => f.endsWith('.yaml')).map((f) => yaml.load(readFileSync(path.join(examples, f), 'utf8'))),
  {}, { prompt: '' }, { prompt: 'x', schedule: 5, bogus: true, agent: { type: 'nope', permissionMode: 'yolo' } },
  { prompt: 'x'.repeat(200_000) }, { prompt: 'x', inputs: { n: { type: 'number', default: 'five' } } },
];
const hubDocs = [yaml.load(readFileSync(path.join(root, 'examples', 'hub.yaml'), 'utf8')), {}, { concurrency: 0, bogus: 1, state: { transcripts: 'x' } }];

describe('validators compiled by the build', () => {
  it('answer every document as the ES modules do, errors included', () => {
    const connector = compiledValidator('connector', built);
    const hub = compiledValidator('hub', built);
    expect(connector, 'dist/spec/connector.validator.cjs: run npm run build').toBeTypeOf('function');
    expect(answers(connector as ValidateFunction, connectorDocs)).toEqual(answers(esm.connector, connectorDocs));
    expect(answers(hub as ValidateFunction, hubDocs)).toEqual(answers(esm.hub, hubDocs));
    expect(answers(esm.connector, connectorDocs).filter((a) => a.length).length).toBeGreaterThanOrEqual(2);
  });

  it('work with a cache V8 refuses (made by another Node, damaged) and without one', () => {
    // Inside the repository, where the script's require() finds ajv's runtime helpers as in dist/.
    mkdirSync(path.join(root, 'test-output'), { recursive: true });
    const dir = pathToFileURL(`${mkdtempSync(path.join(root, 'test-output', 'compiled-'))}/`);
    const from = compiledFiles('connector', built);
    const to = compiledFiles('connector', dir);
    copyFileSync(from.script, to.script);
    const without = compiledValidator('connector', dir) as ValidateFunction;
    writeFileSync(to.cache, Buffer.from('not a code cache'.repeat(100)));
    const damaged = compiledValidator('connector', dir) as ValidateFunction;
    expect(answers(without, connectorDocs)).toEqual(answers(esm.connector, connectorDocs));
    expect(answers(damaged, connectorDocs)).toEqual(answers(esm.connector, connectorDocs));
  });

  it('is absent where the build wrote no script (the sources), so the ES module is used', () => {
    expect(compiledValidator('connector', pathToFileURL(`${mkdtempSync(path.join(tmpdir(), 'agent-hub-compiled-'))}/`))).toBeUndefined();
  });

  it('js-yaml from its code-cached script parses as its ES module does, with the build\'s cache, a damaged one or none', () => {
    mkdirSync(path.join(root, 'test-output'), { recursive: true });
    const damagedDir = pathToFileURL(`${mkdtempSync(path.join(root, 'test-output', 'jsyaml-'))}/`);
    writeFileSync(jsYamlCache(damagedDir), Buffer.from('not a code cache'.repeat(100)));
    const texts = [
      ...readdirSync(examples).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(path.join(examples, f), 'utf8')),
      'a: [1, 2\n', 'x: &a [1]\ny: *a\n', 'n: 0x1F\nd: 2026-11-26\nb: yes\n',
    ];
    const parse = (y: typeof yaml) => texts.map((t) => {
      try {
        return y.load(t, { schema: y.CORE_SCHEMA, json: false });
      } catch (err) {
        return `error: ${(err as Error).message}`;
      }
    });
    const expected = parse(yaml);
    expect(expected.some((r) => typeof r === 'string' && r.startsWith('error'))).toBe(true);
    for (const dir of [built, damagedDir, pathToFileURL(`${mkdtempSync(path.join(tmpdir(), 'agent-hub-jsyaml-'))}/`)]) {
      const cached = cachedJsYaml(dir);
      expect(cached, String(dir)).toBeDefined();
      expect(parse(cached as typeof yaml)).toEqual(expected);
    }
  });
});
