import type { HelperOptions } from 'handlebars';

/** Data every render passes to helpers: the clock and the connector's time zone. */
export interface RenderData {
  now: Date;
  timezone: string;
}

function data(options: HelperOptions): RenderData {
  return (options.data as { root?: unknown; now: Date; timezone: string });
}

function toDate(value: unknown): Date {
  const d = value instanceof Date ? value : new Date(value as string | number);
  if (Number.isNaN(d.getTime())) throw new Error(`not a date: ${JSON.stringify(value)}`);
  return d;
}

const TOKENS = /YYYY|MM|DD|HH|mm|ss|ddd/g;

/** Formats a date with the tokens YYYY MM DD HH mm ss ddd in a time zone. */
export function formatDate(date: Date, format: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short',
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const map: Record<string, string> = {
    YYYY: get('year'), MM: get('month'), DD: get('day'), HH: get('hour'), mm: get('minute'), ss: get('second'), ddd: get('weekday'),
  };
  return format.replace(TOKENS, (t) => map[t] ?? t);
}

/**
 * Helpers available in every prompt. The last argument Handlebars passes is always the
 * options object, so optional positional arguments are told apart by counting.
 */
export const helpers = {
  /** `{{json value}}` pretty JSON; `{{json value 0}}` on one line. */
  json(...args: unknown[]): string {
    const value = args[0];
    const indent = args.length > 2 ? Number(args[1]) : 2;
    return JSON.stringify(value, null, indent) ?? 'null';
  },
  /** `{{now}}`: the run's start time, ISO 8601. */
  now(...args: unknown[]): string {
    return data(args[args.length - 1] as HelperOptions).now.toISOString();
  },
  /**
   * `{{date}}` today; `{{date value "YYYY-MM-DD HH:mm" tz="Europe/Paris"}}`. A null value
   * (like run.scheduledFor of a manual run) means now.
   */
  date(...args: unknown[]): string {
    const options = args[args.length - 1] as HelperOptions;
    const d = data(options);
    const value = args.length > 1 && args[0] !== null && args[0] !== undefined ? args[0] : d.now;
    const format = args.length > 2 ? String(args[1]) : 'YYYY-MM-DD';
    const tz = typeof options.hash.tz === 'string' ? options.hash.tz : d.timezone;
    return formatDate(toDate(value), format, tz);
  },
  /** `{{addDays value -7}}`: ISO date-time n days from value (`{{date (addDays (now) -7)}}`). */
  addDays(value: unknown, days: unknown): string {
    return new Date(toDate(value).getTime() + Number(days) * 86_400_000).toISOString();
  },
  /** `{{#if (eq inputs.mode "full")}}`. */
  eq(a: unknown, b: unknown): boolean {
    return a === b;
  },
};

export const HELPER_NAMES = new Set([
  ...Object.keys(helpers),
  // Handlebars built-ins.
  'if', 'unless', 'each', 'with', 'lookup', 'log', 'helperMissing', 'blockHelperMissing',
]);
