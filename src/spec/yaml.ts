import { createRequire } from 'node:module';
import type { Document, Node } from 'yaml';
import type { LoadOptions, YAMLException } from 'js-yaml';
import { cachedJsYaml } from './compiled.js';
import type { Diagnostic } from '../core/types.js';
import { MAX_NESTING, pathBeyondDepth } from '../core/depth.js';

/** A parsed YAML document that can say where any field of it is. */
export interface SourceDoc {
  value: unknown;
  /** Line and column (1-based) of the field at `path`, or of its key with `key: true`. */
  locate(path: ReadonlyArray<string | number>, opts?: { key?: boolean }): { line: number; column: number };
}

/**
 * The careful parser, loaded on first use: most files never need it (see parseYaml), and
 * loading it costs every command ~80 ms at start-up.
 */
let careful: typeof import('yaml') | undefined;
const yamlPackage = (): typeof import('yaml') => (careful ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));

/** The fast parser (see parseYaml), from its code-cached script where the build made one. */
const jsyaml: typeof import('js-yaml') = cachedJsYaml() ?? (await import('js-yaml'));

/** Aliases beyond this count are a resource-exhaustion attack ("billion laughs"), not a connector. */
const MAX_ALIAS_COUNT = 100;

const tooDeep = (): Pick<Diagnostic, 'message' | 'hint' | 'rule'> => ({
  message: `the YAML nests mappings and lists deeper than ${MAX_NESTING} levels, the limit`,
  hint: 'flatten this structure: connector files and hub.yaml need only a few levels',
  rule: 'yaml-depth',
});

/** js-yaml's own guard against deep nesting, at our limit (its types do not list the option). */
const JSYAML_OPTIONS: LoadOptions & { maxDepth: number } = { schema: jsyaml.CORE_SCHEMA, json: false, maxDepth: MAX_NESTING };

/**
 * True when one object or array appears twice in the tree: js-yaml's form of an alias.
 * Such files go to the careful parser, which limits alias expansion. The walk stops at the
 * first repeat, so it is linear even for an alias bomb.
 */
function hasSharedNodes(value: unknown, seen = new Set<object>()): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (seen.has(value)) return true;
  seen.add(value);
  for (const child of Array.isArray(value) ? value : Object.values(value)) if (hasSharedNodes(child, seen)) return true;
  return false;
}

/**
 * Parses one YAML document keeping positions; errors come back as diagnostics, never thrown.
 *
 * Most files are valid and need no positions, so they take a fast path (js-yaml, YAML 1.2
 * core schema, about twice as fast) and get positions only if a later check asks for one.
 * Anything unusual — a syntax error, several documents, an empty file, aliases — goes through
 * the `yaml` package, which reports exact positions and stops alias bombs.
 */
export function parseYaml(text: string, file: string): SourceDoc | Diagnostic[] {
  {
    let value: unknown;
    try {
      value = jsyaml.load(text, JSYAML_OPTIONS);
    } catch (err) {
      // Too deep for the careful parser too (its stack would overflow): say so here, where js-yaml stopped.
      const mark = (err as YAMLException).mark as YAMLException['mark'] | undefined;
      if (mark && /nesting exceeded maxDepth/.test((err as Error).message)) {
        return [{ file, line: mark.line + 1, column: mark.column + 1, path: '', severity: 'error', ...tooDeep() }];
      }
      value = undefined; // the careful parser explains it
    }
    // An alias needs an anchor (`&name`): text without `&` has no shared nodes to look for.
    if (value !== undefined && !(text.includes('&') && hasSharedNodes(value))) {
      let located: SourceDoc | undefined;
      return {
        value,
        locate(path, opts) {
          if (!located) {
            const precise = parsePrecisely(text, file);
            // Should the two parsers ever disagree, point at the top of the file rather than fail.
            located = Array.isArray(precise) ? { value, locate: () => ({ line: 1, column: 1 }) } : precise;
          }
          return located.locate(path, opts);
        },
      };
    }
  }
  return parsePrecisely(text, file);
}

function parsePrecisely(text: string, file: string): SourceDoc | Diagnostic[] {
  const { LineCounter, parseAllDocuments } = yamlPackage();
  const lineCounter = new LineCounter();
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const fail = (offset: number, message: string, hint?: string, rule = 'yaml'): Diagnostic => ({
    file, ...at(offset), path: '', message, severity: 'error', rule, ...(hint ? { hint } : {}),
  });
  const deep = (offset: number): Diagnostic => ({ ...fail(offset, ''), ...tooDeep() });
  const overflow = (err: unknown) => err instanceof RangeError || /Maximum call stack size exceeded/.test(String((err as Error)?.message));
  let docs: ReturnType<typeof import('yaml').parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  } catch (err) {
    if (overflow(err)) return [deep(0)];
    throw err;
  }

  // parseAllDocuments returns an EmptyStream (not an array) for an empty file.
  if (!Array.isArray(docs) || docs.length === 0) {
    return [fail(0, 'the file is empty', 'a connector needs at least a prompt; see schemas/connector.schema.json', 'empty')];
  }
  const errors = docs.flatMap((d) => d.errors);
  if (errors.length > 0) {
    return errors.map((e) => (overflow(e) ? deep(e.pos[0]) : fail(e.pos[0], yamlMessage(e.message), 'fix the YAML syntax at this position')));
  }
  if (docs.length > 1) {
    const second = docs[1] as Document.Parsed;
    return [fail(second.range[0], `the file holds ${docs.length} YAML documents`, 'put one connector per file: split it at the `---` line')];
  }
  const doc = docs[0] as Document.Parsed;
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (overflow(err)) return [deep(0)];
    return [fail(0, `YAML aliases expand too much (${(err as Error).message})`, 'write the values out instead of using deeply nested anchors and aliases', 'yaml-bomb')];
  }
  // Aliases can nest what is shallow in the text.
  const beyond = pathBeyondDepth(value);
  if (beyond) return [deep(findOffset(doc.contents, beyond, false))];
  return {
    value,
    locate(path, opts = {}) {
      return at(findOffset(doc.contents, path, opts.key === true));
    },
  };
}

function yamlMessage(message: string): string {
  // The yaml package appends a code frame after the first line; our output prints its own position.
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/** Walks the node tree along `path`, returning the offset of the deepest node found. */
function findOffset(root: Node | null, path: ReadonlyArray<string | number>, wantKey: boolean): number {
  const { isMap, isPair, isScalar, isSeq } = yamlPackage();
  let node: unknown = root;
  let offset = rangeStart(root);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return offset;
      if (last && wantKey) return rangeStart(pair.key as Node);
      node = pair.value;
      offset = pair.value ? rangeStart(pair.value as Node) : rangeStart(pair.key as Node);
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (!node) return offset;
      offset = rangeStart(node as Node);
    } else {
      return offset;
    }
  }
  return offset;
}

function rangeStart(node: Node | null | undefined): number {
  return node?.range?.[0] ?? 0;
}
