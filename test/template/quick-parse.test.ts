import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { analyzeTemplate } from '../../src/template/analyze.js';
import { quickParse } from '../../src/template/quick-parse.js';

// Templates are checked by a quick parser for the usual subset and by Handlebars for the
// rest: a user must get the same variables, helpers, positions and errors either way.
const corpus = [
  'plain text, no mustache',
  'Hello {{inputs.name}}!',
  'Summarise {{inputs.days}} days of {{inputs.repo}} for {{date}}.\n{{#if (eq inputs.days 1)}}Only yesterday.{{/if}}\nMore {{connector.id}}',
  '{{#if inputs.a}}\n  yes {{inputs.b}}\n{{else}}\n  no {{inputs.c}}\n{{/if}}',
  '{{#each inputs.items}}{{name}} {{@index}} {{@root.inputs.x}}{{/each}} after {{inputs.y}}',
  '{{#with inputs.obj}}{{a.b}}{{/with}}{{inputs.obj.a}}',
  '{{date run.scheduledFor "YYYY-MM-DD HH:mm ddd"}} | {{date (addDays (now) -1) "DD/MM" tz="UTC"}} | {{json inputs.list 0}}',
  '{{json inputs.x 2 pretty=true other = "x" n=-1.5}}',
  "{{default inputs.x 'single \\' quoted'}}",
  '{{! a comment with {{x}} in it }} {{inputs.a}}',
  '{{!-- long\ncomment --}}\n\n   {{inputs.a}}',
  '{{!--}} {{inputs.a}}',
  'a/b {{inputs/a}} {{inputs.a/b}}',
  '{{ inputs.spaced }} {{#if  x }}{{ else }}{{/ if }}',
  '{{eq 1 2}} {{eq true false}} {{eq null undefined}} {{eq 123abc x}}',
  'line1\nline2 {{inputs.é}}\n\tline3 {{inputs.x-y}} {{inputs.$z}}',
  '{{#unless inputs.a}}{{#if inputs.b}}{{inputs.c}}{{/if}}{{/unless}}',
  // Left to Handlebars: the answer must still be the same.
  '{{#if a}}x{{else if b}}y{{/if}}',
  '{{~inputs.a~}} {{{inputs.b}}} {{&inputs.c}} {{> part}} {{#> layout}}x{{/layout}}',
  '{{#each inputs.list as |item i|}}{{item}}{{/each}}',
  '{{this}} {{./x}} {{../x}} {{a.[b c]}} {{a.this}}',
  '\\{{escaped}} {{inputs.a}}', 'a\r\nb {{inputs.a}}', 'a\u2028b {{inputs.a}}',
  '{{#if a}}unclosed', '{{/if}}', '{{#if a}}{{/each}}', '{{else}}', '{{#if a}}{{else}}{{else}}{{/if}}',
  '{{foo}}}', '{{foo bar=1 baz}}', '{{foo a.b=1}}', '{{}}', '{{ }}', '{{foo', '{{foo)}}', '{{(foo)}}', '{{foo (bar}}',
  '{{"lit"}}', '{{1}}', '{{true}}', '{{foo.1}}', '{{foo.}}', '{{foo..bar}}', '{{@ foo}}', '{{foo "a"b}}', '{{foo true=1}}',
  '{{!-- unclosed }}', '{{! unclosed', '{{!-- x --~}}', '{{^}}', '{{*dec}}', '{{#*inline "x"}}y{{/inline}}',
  '{{{{raw}}}}{{x}}{{{{/raw}}}}', `{{x${'('.repeat(3000)}}}`,
];

/** Random templates from the pieces templates are made of, to find a disagreement the corpus misses. */
function randomTemplate(seed: number): string {
  let s = seed;
  const rnd = (n: number) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
  const pieces = ['{{', '}}', '{{#if ', '{{/if}}', '{{else}}', '{{#each ', '{{/each}}', ' ', '\n', 'inputs.a', 'inputs.b', '.', '/', '@root.', '@index',
    '(', ')', '"s"', "'t'", '1', '-2.5', 'true', 'x=', ' = ', 'eq ', 'text ', '{{!', '{{!--', '--}}', '~', '{', '}', 'this', '..', '[a]', '|', 'as |x|', 'é', '\t'];
  let out = '';
  for (let i = 0, n = 3 + rnd(25); i < n; i++) out += pieces[rnd(pieces.length)];
  return out;
}

describe('the quick template parser', () => {
  it('agrees with Handlebars on every template: same references, positions and errors', () => {
    const templates = [...corpus, ...Array.from({ length: 10000 }, (_, i) => randomTemplate(i + 1))];
    let quick = 0;
    for (const t of templates) {
      if (quickParse(t)) quick++;
      expect(analyzeTemplate(t), JSON.stringify(t)).toEqual(analyzeTemplate(t, 'handlebars'));
    }
    // The random ones must exercise the quick path too, or the comparison proves nothing.
    expect(quick).toBeGreaterThan(500);
  });

  it('handles the usual prompts itself, the example connectors included', () => {
    for (const t of corpus.slice(0, 17)) expect(quickParse(t), JSON.stringify(t)).toBeDefined();
    const example = readFileSync(new URL('../../examples/connectors/daily-digest.prompt.hbs', import.meta.url), 'utf8');
    if (!/\{\{>|~/.test(example)) expect(quickParse(example)).toBeDefined();
    expect(analyzeTemplate(example)).toEqual(analyzeTemplate(example, 'handlebars'));
  });
});
