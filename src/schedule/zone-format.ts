/**
 * croner converts times to and from a connector's time zone with
 * `date.toLocaleString('en-US', { timeZone, … })`, several times a slot. With options,
 * V8 builds a new ICU formatter at each call: ~0.2 ms, and native memory that is freed
 * only when a GC collects the formatter — arming 1,000 connectors' first slots in a time
 * zone took ~55 MB of RSS that an idle hub then kept. `withCachedFormats` runs a
 * synchronous croner call with toLocaleString answered by one Intl.DateTimeFormat per
 * locale and options: the same text (ECMA-402 makes toLocaleString exactly such a
 * formatter, with every date and time field when none is asked for), built once.
 */
const formats = new Map<string, Intl.DateTimeFormat>();
const nativeToLocaleString = Date.prototype.toLocaleString;

/** Fields whose presence keeps toLocaleString from adding its defaults (ToDateTimeOptions(options, "any", "all")). */
const FIELDS = ['weekday', 'year', 'month', 'day', 'dayPeriod', 'hour', 'minute', 'second', 'fractionalSecondDigits', 'dateStyle', 'timeStyle'] as const;

function cachedToLocaleString(this: Date, locales?: Intl.LocalesArgument, options?: Intl.DateTimeFormatOptions): string {
  if (typeof locales !== 'string' || options === undefined || options === null || typeof options !== 'object' || Number.isNaN(this.getTime())) {
    return nativeToLocaleString.call(this, locales, options);
  }
  const key = `${locales}\0${JSON.stringify(options)}`;
  let format = formats.get(key);
  if (!format) {
    const o = options as Record<string, unknown>;
    const defaults = FIELDS.every((f) => o[f] === undefined) ? { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' } as const : {};
    format = new Intl.DateTimeFormat(locales, { ...options, ...defaults });
    if (formats.size >= 1000) formats.clear();
    formats.set(key, format);
  }
  return format.format(this);
}

/** Runs `task` (synchronous: nothing else runs meanwhile) with toLocaleString served by cached formatters. */
export function withCachedFormats<T>(task: () => T): T {
  // eslint-disable-next-line no-extend-native -- restored below, before anything else can run
  Date.prototype.toLocaleString = cachedToLocaleString as typeof Date.prototype.toLocaleString;
  try {
    return task();
  } finally {
    Date.prototype.toLocaleString = nativeToLocaleString;
  }
}
