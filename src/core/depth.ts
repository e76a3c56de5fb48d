/**
 * Mappings and lists nested deeper than this (the outermost is level 1) are refused, in
 * connector files, hub.yaml and run inputs. A connector needs a handful of levels (an
 * output schema a dozen or two); thousands would overflow the stack of the parsers and of
 * every recursive step after them.
 */
export const MAX_NESTING = 64;

/** The path to the first value nested deeper than `limit` levels, found without recursion. */
export function pathBeyondDepth(value: unknown, limit = MAX_NESTING): Array<string | number> | undefined {
  const stack: Array<{ v: unknown; path: Array<string | number> }> = [{ v: value, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop() as { v: unknown; path: Array<string | number> };
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= limit) return path;
    if (Array.isArray(v)) v.forEach((child: unknown, i) => stack.push({ v: child, path: [...path, i] }));
    else for (const [k, child] of Object.entries(v)) stack.push({ v: child, path: [...path, k] });
  }
  return undefined;
}
