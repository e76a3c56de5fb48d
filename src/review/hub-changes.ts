import type { HubConfig } from '../spec/hub-config.js';
import type { FieldChange } from './changes.js';
import type { Risk } from './risks.js';

/** What a reviewer reads about a change to hub.yaml: every changed setting, and the risky ones. */
export interface HubReview {
  changes: FieldChange[];
  risks: Risk[];
}

/** The file the changes and risks are about: risks name it where a connector's would name its id. */
export const HUB_ID = 'hub.yaml';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** hub.yaml's settings as `field → value` text, nested sections flattened to `state.branch`. */
function flatten(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(value)) {
    out.set(prefix, `[${value.map(String).join(', ')}]`);
  } else if (value !== undefined) {
    out.set(prefix, String(value));
  }
  return out;
}

/** A hub.yaml rule: what it finds risky in words, old → new; nothing when the change is safe. */
type HubRiskRule = { name: string; check: (before: HubConfig, after: HubConfig) => string[] };

const HUB_RISK_RULES: HubRiskRule[] = [
  {
    // The executable every claude agent is: a new one runs with every connector's prompt and env.
    name: 'claudeCommand',
    check: (b, a) => ((b.claude?.command ?? 'claude') === (a.claude?.command ?? 'claude') ? [] : [`claude command changed: ${b.claude?.command ?? 'claude'} → ${a.claude?.command ?? 'claude'} (every claude connector runs it)`]),
  },
  {
    name: 'serverHost',
    check: (b, a) => {
      const [from, to] = [b.server?.host ?? '127.0.0.1', a.server?.host ?? '127.0.0.1'];
      return LOOPBACK.test(from) && !LOOPBACK.test(to) ? [`API listens beyond loopback: ${from} → ${to}`] : [];
    },
  },
  {
    name: 'protectReads',
    check: (b, a) => (b.server?.protectReads === true && a.server?.protectReads !== true ? ['API reads no longer need the token: protectReads true → ' + String(a.server?.protectReads ?? '(none)')] : []),
  },
  {
    name: 'allowedHosts',
    check: (b, a) => {
      const more = (a.server?.allowedHosts ?? []).filter((h) => !(b.server?.allowedHosts ?? []).includes(h));
      return more.length ? [`API answers more host names: allowedHosts + ${more.join(', ')}`] : [];
    },
  },
];

/**
 * hub.yaml at the base and now, compared setting by setting. Its effect on connectors (a
 * default timeout, time zone) shows on them; this is what changes for the hub as a whole.
 */
export function reviewHub(before: HubConfig, after: HubConfig): HubReview {
  const [a, b] = [flatten(before), flatten(after)];
  const fields = [...new Set([...a.keys(), ...b.keys()])].sort();
  const changes = fields.filter((f) => a.get(f) !== b.get(f)).map((field) => ({ field, before: a.get(field) ?? null, after: b.get(field) ?? null }));
  const risks = HUB_RISK_RULES.flatMap((r) => r.check(before, after).map((text) => ({ id: HUB_ID, rule: r.name, text, isNew: false })));
  return { changes, risks };
}
