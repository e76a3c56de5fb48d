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

type RawRow = { id: string; spec_hash: string; active: number; enabled: number; schedule: string | null };

/** Each applied version's time zone, by spec hash (a version's spec, defaults included, decides it). */
const zonesByHash = new WeakMap<Db, Map<string, string | null>>();

const ALL = 'SELECT id, spec_hash, active, enabled, schedule FROM connectors WHERE spec IS NOT NULL ORDER BY id';
const SOME = 'SELECT id, spec_hash, active, enabled, schedule FROM connectors WHERE spec IS NOT NULL AND id IN (SELECT value FROM json_each(?)) ORDER BY id';

/** Every connector's schedule row. */
export function listSchedules(db: Db): ScheduleRow[] {
  return read(db, () => stmt(db, ALL).all() as RawRow[]);
}

/** The schedule rows of these connectors (those a reconcile changed); ids the registry does not have are left out. */
export function schedulesOf(db: Db, ids: Iterable<string>): ScheduleRow[] {
  return read(db, () => stmt(db, SOME).all(JSON.stringify([...ids])) as RawRow[]);
}

/** Changes when another connection (`agent-hub apply`, a second process) committed to the registry; this connection's own writes leave it. */
export function foreignWrites(db: Db): number {
  return db.pragma('data_version', { simple: true }) as number;
}

function read(db: Db, rowsOf: () => RawRow[]): ScheduleRow[] {
  let zones = zonesByHash.get(db);
  if (!zones || zones.size > 50_000) zonesByHash.set(db, (zones = new Map()));
  const known = zones;
  // One read transaction: the rows and the time zones looked up for them are of the same moment.
  const rows = db.transaction(() => {
    const all = rowsOf();
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
