/**
 * A parser for the common subset of Handlebars templates, giving the same AST as
 * Handlebars' own parser for the parts analyze.ts reads (paths, params, hashes, blocks and
 * their positions), or undefined for anything outside the subset, which Handlebars then
 * parses. Loading Handlebars' parser and warming it up cost ~18 ms of a 140 ms `validate`,
 * and parsing ~15 % of a cold apply of 5,000 connectors; most prompts are text with
 * `{{inputs.x}}`, helpers, subexpressions and `{{#if}}…{{else}}…{{/if}}` blocks.
 *
 * The subset: text without `\{{`, NUL, CR or U+2028/9; comments; mustaches and blocks whose
 * name is a path or `@data` path (dot or slash separated, no `this`, `..`, `[…]`), with
 * path, string, number, boolean, null and undefined params, subexpressions and `key=value`
 * pairs; `{{else}}`. Anything else (`~`, `{{{`, `{{&`, `{{^`, partials, decorators, raw
 * blocks, block params, `{{else if}}`, any syntax error) is left to Handlebars, so errors
 * and their messages always come from it. test/template/quick-parse.test.ts checks the two
 * agree.
 */

type Program = hbs.AST.Program;
type Expr = hbs.AST.Expression;

/** Not handled here: Handlebars parses the template. */
const unsupported = (): never => {
  throw new Error('not in the quick subset');
};

// Handlebars' lexer: an id, and what may follow an id or a literal.
const ID = /[^\s!"#%-,.\/;->@[-^`{-~]+(?=[=~}\s\/.)|])/y;
const LITERAL = /(?:true|false|undefined|null|-?[0-9]+(?:\.[0-9]+)?)(?=[~}\s)])/y;
const STRING = /"(?:\\["]|[^"])*"|'(?:\\[']|[^'])*'/y;
/** One character `\s` matches (beyond ASCII, where it also takes U+00A0, U+FEFF, U+2000–U+200A…). */
const SPACE = /^\s$/;
const RESERVED = new Set(['this', 'else', 'as', 'true', 'false', 'null', 'undefined']);

interface Block {
  node: hbs.AST.BlockStatement;
  body: hbs.AST.Statement[];
}

export function quickParse(source: string): Program | undefined {
  if (/[\0\r\u2028\u2029]|\\\{\{/.test(source)) return undefined;
  try {
    return new QuickParser(source).program();
  } catch {
    // Unsupported, or a RangeError from subexpressions nested thousands deep: Handlebars says what is wrong.
    return undefined;
  }
}

class QuickParser {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private scanned = 0;

  constructor(private readonly src: string) {}

  program(): Program {
    const root: hbs.AST.Statement[] = [];
    const open: Block[] = [];
    const body = () => (open.length ? (open[open.length - 1] as Block).body : root);
    const s = this.src;
    for (;;) {
      const at = s.indexOf('{{', this.pos);
      if (at < 0) break;
      this.pos = at;
      const rest = s.slice(at + 2, at + 6);
      const c = rest[0];
      if (c === '!') {
        this.comment();
      } else if (c === '#') {
        if (rest[1] === '>' || rest[1] === '*') unsupported();
        this.pos += 3;
        const node = this.call('BlockStatement') as hbs.AST.BlockStatement;
        const block: Block = { node, body: [] };
        node.program = { type: 'Program', body: block.body, strip: {} } as unknown as Program;
        body().push(node);
        open.push(block);
      } else if (c === '/') {
        this.pos += 3;
        const block = open.pop() ?? unsupported();
        this.space();
        const path = this.path();
        this.close();
        if (path.original !== (block.node.path as hbs.AST.PathExpression).original) unsupported();
      } else if (/^\s*else\b/.test(s.slice(at + 2, at + 40))) {
        const m = /^\{\{\s*else\s*\}\}/.exec(s.slice(at, at + 80)) ?? unsupported();
        const block = open[open.length - 1] ?? unsupported();
        if (block.node.inverse) unsupported();
        block.body = [];
        block.node.inverse = { type: 'Program', body: block.body, strip: {} } as unknown as Program;
        this.pos += m[0].length;
      } else if (c === undefined || '{&^>*~'.includes(c)) {
        unsupported();
      } else {
        this.pos += 2;
        body().push(this.call('MustacheStatement') as hbs.AST.MustacheStatement);
      }
    }
    if (open.length) unsupported();
    return { type: 'Program', body: root, strip: {} } as unknown as Program;
  }

  /** `{{!-- … --}}` or `{{! … }}`: skipped. */
  private comment(): void {
    const s = this.src;
    if (s.startsWith('{{!--', this.pos)) {
      const end = s.indexOf('--}}', this.pos);
      const tilde = s.indexOf('--~}}', this.pos);
      if (end < 0 || (tilde >= 0 && tilde < end)) unsupported();
      this.pos = end + 4;
    } else {
      const end = s.indexOf('}}', this.pos);
      if (end < 0) unsupported();
      this.pos = end + 2;
    }
  }

  /** name params hash, then `}}` (a mustache or a block's opening) or `)` (a subexpression). */
  private call(type: 'MustacheStatement' | 'BlockStatement' | 'SubExpression'): Expr | hbs.AST.Statement {
    this.space();
    const path = this.path();
    const params: Expr[] = [];
    const pairs: hbs.AST.HashPair[] = [];
    for (;;) {
      this.space();
      const c = this.src[this.pos];
      if (type === 'SubExpression' ? c === ')' : c === '}') break;
      const key = this.hashKey();
      if (key !== undefined) {
        pairs.push({ type: 'HashPair', key, value: this.param() } as unknown as hbs.AST.HashPair);
      } else {
        if (pairs.length) unsupported();
        params.push(this.param());
      }
    }
    if (type === 'SubExpression') this.pos++;
    else this.close();
    const hash = pairs.length ? ({ type: 'Hash', pairs } as unknown as hbs.AST.Hash) : undefined;
    return { type, path, params, hash } as unknown as hbs.AST.MustacheStatement;
  }

  /** `key=` (spaces allowed around `=`): the key, past the `=`; or undefined, nothing consumed. */
  private hashKey(): string | undefined {
    ID.lastIndex = this.pos;
    const m = ID.exec(this.src);
    if (!m) return undefined;
    const eq = this.spaceEnd(this.pos + m[0].length);
    if (this.src[eq] !== '=') return undefined;
    if (RESERVED.has(m[0])) unsupported();
    this.pos = eq + 1;
    return m[0];
  }

  private param(): Expr {
    this.space();
    const s = this.src;
    const c = s[this.pos];
    if (c === '(') {
      this.pos++;
      return this.call('SubExpression') as Expr;
    }
    if (c === '"' || c === "'") {
      STRING.lastIndex = this.pos;
      const m = STRING.exec(s) ?? unsupported();
      this.pos += m[0].length;
      return { type: 'StringLiteral' } as unknown as Expr;
    }
    LITERAL.lastIndex = this.pos;
    const lit = LITERAL.exec(s);
    if (lit) {
      this.pos += lit[0].length;
      return { type: 'NumberLiteral' } as unknown as Expr;
    }
    return this.path();
  }

  /** `a.b/c` or `@a.b`, with its position as Handlebars gives it. */
  private path(): hbs.AST.PathExpression {
    const s = this.src;
    const start = this.pos;
    const loc = this.locAt(start);
    const data = s[this.pos] === '@';
    if (data) this.pos++;
    const parts: string[] = [];
    let original = data ? '@' : '';
    for (;;) {
      ID.lastIndex = this.pos;
      const m = ID.exec(s) ?? unsupported();
      const part = m[0];
      if (RESERVED.has(part) || /^-?[0-9]+(?:\.[0-9]+)?$/.test(part)) unsupported();
      parts.push(part);
      original += part;
      this.pos += part.length;
      const sep = s[this.pos];
      if (sep !== '.' && sep !== '/') break;
      // `a.` followed by what may follow an id is Handlebars' `.` (this): not ours.
      original += sep;
      this.pos++;
    }
    return { type: 'PathExpression', data, depth: 0, parts, original, loc } as unknown as hbs.AST.PathExpression;
  }

  private space(): void {
    this.pos = this.spaceEnd(this.pos);
  }

  /** Where what `\s*` matches from `p` ends, found by hand: a sticky regex, run before every token, was most of this parser's time. */
  private spaceEnd(from: number): number {
    const s = this.src;
    let p = from;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === 32 || (c >= 9 && c <= 13) || (c > 127 && SPACE.test(s[p] as string))) p++;
      else return p;
    }
  }

  private close(): void {
    this.space();
    if (!this.src.startsWith('}}', this.pos) || this.src[this.pos + 2] === '}') unsupported();
    this.pos += 2;
  }

  /** Line (1-based) and column (0-based) of an offset; offsets asked grow, so lines are counted once. */
  private locAt(offset: number): hbs.AST.SourceLocation {
    const s = this.src;
    for (let i = s.indexOf('\n', this.scanned); i >= 0 && i < offset; i = s.indexOf('\n', i + 1)) {
      this.line++;
      this.lineStart = i + 1;
    }
    this.scanned = offset;
    const start = { line: this.line, column: offset - this.lineStart };
    return { source: '', start, end: start } as hbs.AST.SourceLocation;
  }
}
