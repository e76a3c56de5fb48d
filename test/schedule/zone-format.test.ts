import { describe, expect, it } from 'vitest';
import { Cron } from 'croner';
import { SlotClock } from '../../src/schedule/slots.js';
import { withCachedFormats } from '../../src/schedule/zone-format.js';

// Slots in a time zone are worked out with cached ICU formatters (an idle hub kept ~55 MB
// of RSS for 1,000 connectors otherwise): the slots must be the very ones croner gives.
describe('slots in a time zone', () => {
  it('are the same as croner computes with the native toLocaleString, across DST changes', () => {
    const zones = ['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham'];
    const patterns = ['0 9 * * *', '30 2 * * *', '*/20 * * * *', '0 1,2,3 * * 0', '0 0 29 2 *'];
    // Around the 2025 spring-forward and fall-back days of both hemispheres.
    const starts = ['2025-03-08T12:00:00Z', '2025-03-29T20:00:00Z', '2025-04-05T10:00:00Z', '2025-10-25T20:00:00Z', '2025-11-01T12:00:00Z'].map((s) => new Date(s));
    for (const tz of zones) {
      for (const pattern of patterns) {
        const clock = new SlotClock(pattern, tz);
        const cron = new Cron(pattern, { paused: true, timezone: tz });
        for (const start of starts) {
          let a: Date | null = start;
          let b: Date | null = start;
          for (let i = 0; i < 6 && a && b; i++) {
            a = clock.next(a);
            b = cron.nextRun(b);
            expect(a?.toISOString(), `${pattern} in ${tz} after ${start.toISOString()}`).toBe(b?.toISOString());
          }
        }
      }
    }
  });

  it('leave Date.prototype.toLocaleString as it was, also when the task throws', () => {
    const native = Date.prototype.toLocaleString;
    expect(() => withCachedFormats(() => {
      throw new Error('boom');
    })).toThrow('boom');
    expect(Date.prototype.toLocaleString).toBe(native);
    expect(withCachedFormats(() => new Date('2025-01-01T00:00:00Z').toLocaleString('en-US', { timeZone: 'Asia/Tokyo', timeZoneName: 'shortOffset' })))
      .toBe(new Date('2025-01-01T00:00:00Z').toLocaleString('en-US', { timeZone: 'Asia/Tokyo', timeZoneName: 'shortOffset' }));
  });
});
