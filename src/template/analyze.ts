import { MAX_NESTING } from '../core/depth.js';
import { createRequire } from 'node:module';
import type Handlebars from 'handlebars';
import { HELPER_NAMES } from './helpers.js';
import { quickParse } from './quick-parse.js';

let handlebarsParse: typeof Handlebars.parse | undefined;

/**
 * Handlebars' parser alone (what `Handlebars.parse` is), without its compiler and runtime:
 * checking templates is every command's work, and the whole package costs ~4× the load time.
 * Loaded only for a template quickParse leaves to it.
 */
export function parseWithHandlebars(source: string): hbs.AST.Program {
  handlebarsParse ??= (createRequire(import.meta.url)('handlebars/dist/cjs/handlebars/compiler/base.js') as { parse: typeof Handlebars.parse }).parse;
  return handlebarsParse(source);
}

/** Something a template refers to, with its position in the template (1-based). */
export interface TemplateRef {
  kind: 'variable' | 'helper' | 'partial' | 'dynamic-partial';
  /** For variables the dotted path from the root context, like `inputs.repo`. */
  name: string;
  line: number;
  column: number;
}

export type Analysis = { ok: true; refs: TemplateRef[] } | { ok: false; message: string; line: number; column: number };

type Node = hbs.AST.Node;
type Expr = hbs.AST.Expression;

/** Blocks whose body runs with another context: paths inside them cannot be checked statically. */
const CONTEXT_BLOCKS = new Set(['each', 'with']);

/**
 * Where `{{#block}}`s first nest deeper than `limit`, found by a linear scan. Handlebars'
 * parser takes time growing with the square of the nesting (12 s for 5,000 levels) before
 * its stack overflows, so a template like that must not reach it.
 */
function blockNestingBeyond(source: string, limit: number): { line: number; column: number } | undefined {
  let depth = 0;
  // {{#x}} and {{^x}} open a block ({{^}} alone is an else), {{/x}} closes it.
  for (const m of source.matchAll(/\{\{~?\s*([#/]|\^(?!\s*~?\}\}))/g)) {
    depth += m[1] === '/' ? -1 : 1;
    if (depth > limit) {
      const before = source.slice(0, m.index);
      return { line: before.split('\n').length, column: m.index - before.lastIndexOf('\n') };
    }
  }
  return undefined;
}

/**
 * Parses a template and lists the root-context variables, helpers and partials it uses.
 * Paths inside `each`/`with` bodies are relative to an unknown value and are left out,
 * except `@root.` paths, which always start at the root. `parser`: 'handlebars' skips
 * quickParse (the tests compare the two).
 */
export function analyzeTemplate(source: string, parser: 'any' | 'handlebars' = 'any'): Analysis {
  const deep = blockNestingBeyond(source, MAX_NESTING);
  if (deep) return { ok: false, message: `blocks are nested deeper than ${MAX_NESTING} levels, the limit; flatten the template`, ...deep };
  let program: hbs.AST.Program;
  try {
    program = (parser === 'any' ? quickParse(source) : undefined) ?? parseWithHandlebars(source);
  } catch (err) {
    // Handlebars' parser recurses: thousands of nested blocks overflow its stack. Say what that means.
    if (err instanceof RangeError) return { ok: false, message: 'blocks and subexpressions are nested too deeply for the template parser; flatten the template', line: 1, column: 1 };
    const message = (err as Error).message;
    const m = /line (\d+)/.exec(message);
    const col = (err as { column?: number }).column;
    return { ok: false, message: firstLine(message), line: m ? Number(m[1]) : 1, column: (col ?? 0) + 1 };
  }
  const refs: TemplateRef[] = [];
  walkProgram(program, 0, refs);
  return { ok: true, refs };
}

function firstLine(message: string): string {
  const lines = message.split('\n');
  const last = lines[lines.length - 1] ?? message;
  return lines.length > 1 ? `${lines[0]} ${last}`.trim() : message;
}

function at(node: Node): { line: number; column: number } {
  return { line: node.loc?.start.line ?? 1, column: (node.loc?.start.column ?? 0) + 1 };
}

function walkProgram(program: hbs.AST.Program | undefined, scope: number, refs: TemplateRef[]): void {
  if (!program) return;
  for (const stmt of program.body) walkStatement(stmt, scope, refs);
}

function walkStatement(node: Node, scope: number, refs: TemplateRef[]): void {
  switch (node.type) {
    case 'MustacheStatement':
    case 'SubExpression': {
      const m = node as hbs.AST.MustacheStatement;
      callOrValue(m.path, m.params, m.hash, scope, refs);
      return;
    }
    case 'BlockStatement': {
      const b = node as hbs.AST.BlockStatement;
      callOrValue(b.path, b.params, b.hash, scope, refs, true);
      const inner = CONTEXT_BLOCKS.has(b.path.original) || b.program?.blockParams?.length ? scope + 1 : scope;
      walkProgram(b.program, inner, refs);
      walkProgram(b.inverse, scope, refs);
      return;
    }
    case 'PartialStatement':
    case 'PartialBlockStatement': {
      const p = node as hbs.AST.PartialStatement;
      if (p.name.type === 'PathExpression') refs.push({ kind: 'partial', name: (p.name as hbs.AST.PathExpression).original, ...at(p) });
      else refs.push({ kind: 'dynamic-partial', name: '', ...at(p) });
      for (const e of p.params) walkExpr(e, scope, refs);
      walkHash(p.hash, scope, refs);
      if (node.type === 'PartialBlockStatement') walkProgram((node as hbs.AST.PartialBlockStatement).program, scope, refs);
      return;
    }
    default:
      return; // content, comments
  }
}

function callOrValue(path: hbs.AST.PathExpression | hbs.AST.Literal, params: Expr[], hash: hbs.AST.Hash | undefined, scope: number, refs: TemplateRef[], block = false): void {
  const isCall = params.length > 0 || (hash?.pairs.length ?? 0) > 0 || block;
  if (path.type === 'PathExpression') {
    const p = path as hbs.AST.PathExpression;
    const simple = p.parts.length === 1 && !p.data && p.depth === 0;
    if (isCall || (simple && HELPER_NAMES.has(p.original))) refs.push({ kind: 'helper', name: p.original, ...at(p) });
    else walkExpr(p, scope, refs);
  }
  for (const e of params) walkExpr(e, scope, refs);
  walkHash(hash, scope, refs);
}

function walkHash(hash: hbs.AST.Hash | undefined, scope: number, refs: TemplateRef[]): void {
  for (const pair of hash?.pairs ?? []) walkExpr(pair.value, scope, refs);
}

function walkExpr(e: Node, scope: number, refs: TemplateRef[]): void {
  if (e.type === 'SubExpression') {
    walkStatement(e, scope, refs);
    return;
  }
  if (e.type !== 'PathExpression') return; // literals
  const p = e as hbs.AST.PathExpression;
  if (p.data) {
    if (p.parts[0] === 'root' && p.parts.length > 1) refs.push({ kind: 'variable', name: p.parts.slice(1).join('.'), ...at(p) });
    return;
  }
  if (scope - p.depth > 0) return; // relative to an each/with item
  if (p.parts.length === 0) return; // `this`
  refs.push({ kind: 'variable', name: p.parts.join('.'), ...at(p) });
}
