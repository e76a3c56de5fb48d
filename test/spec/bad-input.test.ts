import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { symlinkSync } from 'node:fs';
import { loadDesired } from '../../src/spec/load.js';
import { parseHubConfig } from '../../src/spec/hub-config.js';
import { formatDiagnostic } from '../../src/core/diagnostic.js';
import { openDb } from '../../src/registry/db.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { getConnector } from '../../src/registry/connectors.js';
import { connector, testdir, writeFiles, type Files } from '../helpers/repo.js';

const GOOD = connector({ schedule: '0 9 * * *', prompt: 'Good prompt.' });

/** Loads a repo holding a good connector and the bad file; returns the bad file's errors as text. */
async function errorsFor(files: Files): Promise<string[]> {
  const root = testdir({ 'connectors/good.yaml': GOOD, ...files });
  const desired = await loadDesired(root);
  const good = desired.files.find((f) => f.path === 'connectors/good.yaml');
  expect(good?.diagnostics).toEqual([]);
  return desired.files.filter((f) => f.path !== 'connectors/good.yaml').flatMap((f) => f.diagnostics.map(formatDiagnostic));
}

describe('hub.yaml with nothing in it', () => {
  it('is an empty configuration, as a missing one, whatever blank lines or comments it holds', () => {
    for (const text of ['', '\n', '\n\n', '   \n', '# settings later\n', '\uFEFF\n']) {
      expect({ text, result: parseHubConfig(new TextEncoder().encode(text)) }).toMatchObject({ text, result: { config: {}, diagnostics: [] } });
    }
  });
});

describe('bad connector files get a clear, located error', () => {
  it('malformed YAML', async () => {
    const errors = await errorsFor({ 'connectors/bad.yaml': 'prompt: "unterminated\nschedule: [1, 2\n' });
    expect(errors[0]).toMatch(/^connectors\/bad\.yaml:\d+:\d+: error: /);
    expect(errors[0]).toContain('hint:');
  });

  it('a YAML alias bomb', async () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const started = Date.now();
    const errors = await errorsFor({ 'connectors/bomb.yaml': `${bomb.join('\n')}\nprompt: hi\n` });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(errors.join('\n')).toMatch(/connectors\/bomb\.yaml:1:1: error: YAML aliases expand too much/);
  });

  it('a document that is not a mapping', async () => {
    expect(await errorsFor({ 'connectors/list.yaml': '- a\n- b\n' })).toEqual([
      expect.stringMatching(/^connectors\/list\.yaml:1:1: error: the file must be a mapping of fields, not a list/),
    ]);
    expect((await errorsFor({ 'connectors/scalar.yaml': 'just text\n' }))[0]).toContain('not a string');
  });

  it('an unknown field, with a spelling suggestion', async () => {
    const errors = await errorsFor({ 'connectors/typo.yaml': 'prompt: hi\nagent:\n  modle: opus\n' });
    expect(errors).toEqual(['connectors/typo.yaml:3:3: error: agent.modle: unknown field "modle"\n    hint: did you mean "model"?']);
  });

  it('wrong types, all reported at once', async () => {
    const errors = await errorsFor({ 'connectors/types.yaml': 'prompt: hi\nenabled: "yes"\nagent:\n  maxTurns: many\n' });
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBe('connectors/types.yaml:2:10: error: enabled: must be true or false, not string "yes"\n    hint: write true or false (YAML 1.2 reads yes, no, on and off as text)');
    expect(errors[1]).toMatch(/^connectors\/types\.yaml:4:13: error: agent\.maxTurns: must be an integer/);
  });

  it('a bad cron expression names the field and its range', async () => {
    const errors = await errorsFor({ 'connectors/cron.yaml': 'prompt: hi\nschedule: "61 * * * *"\n' });
    expect(errors).toEqual(['connectors/cron.yaml:2:11: error: schedule: "61 * * * *" is not a valid schedule: Invalid value for minute: 61\n    hint: minute must be 0-59']);
    expect((await errorsFor({ 'connectors/c2.yaml': 'prompt: hi\nschedule: "* * *"\n' }))[0]).toContain('hint: use 5 fields');
    expect((await errorsFor({ 'connectors/c3.yaml': 'prompt: hi\nschedule: "0 0 30 2 *"\n' }))[0]).toContain('never fires');
  });

  it('a bad time zone, with a suggestion', async () => {
    const errors = await errorsFor({ 'connectors/tz.yaml': 'prompt: hi\nschedule: "@daily"\ntimezone: Europe/Pari\n' });
    expect(errors).toEqual(['connectors/tz.yaml:3:11: error: timezone: unknown time zone "Europe/Pari"\n    hint: did you mean "Europe/Paris"?']);
  });

  it('a template syntax error in a prompt file points into that file', async () => {
    const errors = await errorsFor({
      'connectors/tpl.yaml': 'promptFile: tpl.prompt.hbs\n',
      'connectors/tpl.prompt.hbs': 'Line one\nHello {{#if inputs.x}} never closed\n',
    });
    expect(errors[0]).toMatch(/^connectors\/tpl\.prompt\.hbs:\d+:\d+: error: template syntax error/);
  });

  it('an undeclared template variable', async () => {
    const errors = await errorsFor({ 'connectors/var.yaml': 'inputs:\n  topic: { type: string }\nprompt: "About {{inputs.topik}} and {{topic}}"\n' });
    expect(errors).toEqual([
      'connectors/var.yaml:3:18: error: prompt: {{inputs.topik}} uses input "topik", which is not declared\n    hint: did you mean inputs.topic?',
      'connectors/var.yaml:3:39: error: prompt: unknown variable "topic"\n    hint: inputs are under inputs.: write {{inputs.topic}}',
    ]);
  });

  it('errors inside a literal block prompt point at their own line and column', async () => {
    const errors = await errorsFor({ 'connectors/block.yaml': 'name: x\nprompt: |\n  First line.\n  Then {{inputs.missing}} here.\n' });
    expect(errors[0]).toMatch(/^connectors\/block\.yaml:4:10: error: prompt: \{\{inputs\.missing\}\} uses input "missing"/);
    const folded = await errorsFor({ 'connectors/folded.yaml': 'prompt: >\n  First line.\n  Then {{nope}}.\n' });
    expect(folded[0]).toContain('(template line 1, column 20)');
  });

  it('a promptFile outside the repository, by path or by symlink', async () => {
    const errors = await errorsFor({ 'connectors/escape.yaml': 'promptFile: ../../etc/passwd\n' });
    expect(errors).toEqual(['connectors/escape.yaml:1:13: error: promptFile: promptFile "../../etc/passwd" is outside the repository\n    hint: prompt files live in the repository, next to the connector']);

    const root = testdir({ 'connectors/link.yaml': 'promptFile: link.hbs\n' });
    symlinkSync('/etc/hostname', path.join(root, 'connectors/link.hbs'));
    const desired = await loadDesired(root);
    expect(desired.files[0]?.diagnostics[0]?.message).toContain('links outside the repository');
  });

  it('a connector file that is a dangling symlink or a symlink loop: an error, not a file silently left out', async () => {
    const root = testdir({ 'connectors/good.yaml': GOOD });
    symlinkSync('gone.yaml', path.join(root, 'connectors/dangling.yaml'));
    symlinkSync('loop.yaml', path.join(root, 'connectors/loop.yaml'));
    const errors = (await loadDesired(root)).files.filter((f) => f.path !== 'connectors/good.yaml').flatMap((f) => f.diagnostics.map(formatDiagnostic));
    expect(errors).toEqual([
      'connectors/dangling.yaml:1:1: error: the file is a symlink to "gone.yaml", which does not exist\n    hint: create the file it points to, or remove the link',
      'connectors/loop.yaml:1:1: error: the file is a symlink that leads back to itself (a loop of links)\n    hint: point the link at a file, or replace it with the file',
    ]);
  });

  it('a connector whose file turns into a dangling symlink keeps its last good version, with the error shown', async () => {
    const root = testdir({ 'connectors/a.yaml': connector({ schedule: '0 9 * * *', prompt: 'A.' }), 'shared/keep.txt': '' });
    const db = openDb(path.join(root, '.agent-hub/hub.db'));
    await reconcile(root, db);
    writeFiles(root, { 'shared/a.yaml': connector({ schedule: '0 9 * * *', prompt: 'A linked.' }) });
    const { rmSync } = await import('node:fs');
    rmSync(path.join(root, 'connectors/a.yaml'));
    symlinkSync('../shared/a.yaml', path.join(root, 'connectors/a.yaml'));
    await reconcile(root, db);
    expect(getConnector(db, 'a')?.version.template).toBe('A linked.');
    rmSync(path.join(root, 'shared/a.yaml'));
    const r = await reconcile(root, db);
    expect(r.plan.counts).toMatchObject({ invalid: 1, remove: 0 });
    expect(getConnector(db, 'a')).toMatchObject({ active: true, version: { template: 'A linked.' } });
    expect(getConnector(db, 'a')?.lastError?.[0]?.message).toContain('does not exist');
    db.close();
  });

  it('two files with one id: both are refused', async () => {
    const errors = await errorsFor({ 'connectors/a.yaml': connector({ id: 'same' }), 'connectors/b.yaml': connector({ id: 'same' }) });
    expect(errors).toEqual([
      'connectors/a.yaml:1:1: error: id: id "same" is also used by connectors/b.yaml\n    hint: ids must be unique: rename one file or set a different `id:`',
      'connectors/b.yaml:1:1: error: id: id "same" is also used by connectors/a.yaml\n    hint: ids must be unique: rename one file or set a different `id:`',
    ]);
  });

  it('a 10 MB file is refused without parsing it', async () => {
    const big = `prompt: "${'x'.repeat(10 * 1024 * 1024)}"\n`;
    const errors = await errorsFor({ 'connectors/big.yaml': big });
    expect(errors).toEqual([expect.stringMatching(/^connectors\/big\.yaml:1:1: error: the file is 10\.0 MB; the limit is 1 MB/)]);
  });

  it('a binary file named .yaml', async () => {
    const errors = await errorsFor({ 'connectors/blob.yaml': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 0xff]) });
    expect(errors).toEqual([expect.stringContaining('connectors/blob.yaml:1:1: error: the file is binary, not YAML text')]);
    const latin1 = await errorsFor({ 'connectors/latin1.yaml': new Uint8Array([0x70, 0x72, 0x6f, 0x6d, 0x70, 0x74, 0x3a, 0x20, 0xe9]) });
    expect(latin1[0]).toContain('not valid UTF-8');
  });

  it('an empty connectors/ directory, and none at all', async () => {
    const empty = testdir({ 'connectors/.keep': '' });
    expect((await loadDesired(empty)).files).toEqual([]);
    expect((await loadDesired(testdir())).files).toEqual([]);
  });

  it('an empty file and a file with two documents', async () => {
    expect((await errorsFor({ 'connectors/empty.yaml': '' }))[0]).toContain('the file is empty');
    expect((await errorsFor({ 'connectors/two.yaml': 'prompt: a\n---\nprompt: b\n' }))[0]).toMatch(/:2:1: error: the file holds 2 YAML documents/);
  });
});

describe('no bad file crashes apply or changes a valid connector', () => {
  it('applies the good connector and keeps its entry across every bad file', async () => {
    const root = testdir({ 'connectors/good.yaml': GOOD });
    const db = openDb(path.join(root, '.agent-hub/hub.db'));
    await reconcile(root, db);
    const before = getConnector(db, 'good');
    expect(before?.active).toBe(true);
    writeFiles(root, {
      'connectors/syntax.yaml': 'prompt: [\n',
      'connectors/list.yaml': '- 1\n',
      'connectors/unknown.yaml': 'prompt: hi\nfoo: 1\n',
      'connectors/cron.yaml': 'prompt: hi\nschedule: nope\n',
      'connectors/tpl.yaml': 'prompt: "{{#each}}"\n',
      'connectors/escape.yaml': 'promptFile: ../../etc/passwd\n',
      'connectors/dup.yaml': connector({ id: 'good' }),
      'connectors/big.yaml': 'x'.repeat(11 * 1024 * 1024),
      'connectors/blob.yaml': new Uint8Array([0, 0, 0]),
    });
    const result = await reconcile(root, db);
    // The duplicate makes good.yaml invalid too: its last good version stays active.
    expect(result.plan.counts.invalid).toBe(10);
    const after = getConnector(db, 'good');
    expect(after?.active).toBe(true);
    expect(after?.specHash).toBe(before?.specHash);
    expect(after?.version).toEqual(before?.version);
    db.close();
  });
});

describe('a bad hub.yaml gets a clear, located error', () => {
  it('an interval short enough to spin is refused, each at its line', () => {
    const { diagnostics } = parseHubConfig(Buffer.from('state:\n  commitInterval: 0s\nremote:\n  pullInterval: 50ms\nresync:\n  interval: 100ms\n'));
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      'hub.yaml:2:19: error: state.commitInterval: "0s" is too short; it would run without pause\n    hint: the least is 100ms; use something like 30s or 5m',
      'hub.yaml:4:17: error: remote.pullInterval: "50ms" is too short; it would run without pause\n    hint: the least is 100ms; use something like 30s or 5m',
    ]);
  });

  it('every error at once: a schema error does not hide a too-short interval or a bad host name', () => {
    const { diagnostics } = parseHubConfig(Buffer.from('state:\n  commitInterval: 0s\nremote:\n  push: yes\n  pullInterval: 5 minutes\nserver:\n  allowedHosts: ["https://hub.example.com", 5]\n'));
    expect(diagnostics.map((d) => `${d.line}: ${d.path}: ${d.message}`).sort()).toEqual([
      '2: state.commitInterval: "0s" is too short; it would run without pause',
      '4: remote.push: must be true or false, not string "yes"',
      '5: remote.pullInterval: "5 minutes" has the wrong form',
      '7: server.allowedHosts.0: "https://hub.example.com" is not a host name',
      '7: server.allowedHosts.1: must be a string, not number 5',
    ]);
  });
});

describe('partials that include themselves', () => {
  it('are refused at the line of the include, directly or through another partial, instead of overflowing the stack at render', async () => {
    const root = testdir({
      'connectors/a.yaml': 'prompt: "{{> selfref}}"\n',
      'connectors/b.yaml': 'prompt: "{{> ping}}"\n',
      'connectors/partials/selfref.hbs': 'again {{> selfref}}',
      'connectors/partials/ping.hbs': '{{> pong}}',
      'connectors/partials/pong.hbs': 'x\n{{> ping}}',
    });
    const desired = await loadDesired(root);
    const messages = desired.files.flatMap((f) => f.diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`));
    expect(messages).toContain('connectors/partials/selfref.hbs:1: partial "selfref" includes itself (selfref → selfref)');
    expect(messages).toContain('connectors/partials/pong.hbs:2: partial "ping" includes itself (ping → pong → ping)');
  });
});
