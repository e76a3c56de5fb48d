import { stmt, type Db } from './db.js';

/** What scheduling needs of every connector, read from the small columns (the connectors_live index): no spec is parsed (a reconcile with 5,000 connectors asks for it). */
export interface ScheduleRow {
  id: string;
  specHash: string;
  active: boolean;
  enabled: boolean;
  schedule: string | null;
  timezone: string | null;
}

/** Each applied version's time zone, by spec hash (a version's spec, defaults included, decides it). */
const zonesByHash = new WeakMap<Db, Map<string, string | null>>();

export function listSchedules(db: Db): ScheduleRow[] {
  let zones = zonesByHash.get(db);
  if (!zones || zones.size > 50_000) zonesByHash.set(db, (zones = new Map()));
  const known = zones;
  // One read transaction: the rows and the time zones looked up for them are of the same moment.
  const rows = db.transaction(() => {
    const all = stmt(db, 'SELECT id, spec_hash, active, enabled, schedule FROM connectors WHERE spec IS NOT NULL ORDER BY id')
      .all() as Array<{ id: string; spec_hash: string; active: number; enabled: number; schedule: string | null }>;
    // The time zone is read out of the spec JSON only for versions not seen before: with
    // 5,000 connectors, json_extract over every spec took ~100 ms of each reconcile.
    const unknown = all.filter((r) => !known.has(r.spec_hash)).map((r) => r.id);
    if (unknown.length) {
      const found = stmt(db, "SELECT spec_hash, json_extract(spec, '$.spec.timezone') AS timezone FROM connectors WHERE id IN (SELECT value FROM json_each(?))")
        .all(JSON.stringify(unknown)) as Array<{ spec_hash: string; timezone: string | null }>;
      for (const f of found) known.set(f.spec_hash, f.timezone);
    }
    return all;
  })();
  return rows.map((r) => ({ id: r.id, specHash: r.spec_hash, active: r.active === 1, enabled: r.enabled === 1, schedule: r.schedule, timezone: known.get(r.spec_hash) ?? null }));
}
