import { describe, expect, it } from 'vitest';
import { formatNumber, formatRate, offsetMinutes, runsPerDay } from '../../src/review/frequency.js';
import { accessOf, modeRank, PERMISSION_MODES } from '../../src/review/access.js';

const FROM = new Date('2030-03-25T12:00:00Z'); // a Monday

describe('runs per day', () => {
  it('averages a schedule over a week in its time zone', () => {
    expect(runsPerDay('0 9 * * 1-5', 'UTC', FROM)).toBeCloseTo(5 / 7, 10);
    expect(runsPerDay('@hourly', undefined, FROM)).toBe(24);
    expect(runsPerDay('*/5 * * * *', 'Europe/Paris', FROM)).toBe(288);
    // Across a daylight-saving change a daily run is still once a day.
    expect(runsPerDay('30 2 * * *', 'Europe/Paris', new Date('2030-03-28T00:00:00Z'))).toBeCloseTo(1, 0);
  });

  it('counts a schedule sparser than daily over a year, and a very dense one by the time its runs span', () => {
    expect(runsPerDay('@monthly', 'UTC', FROM)).toBeCloseTo(12 / 364, 2);
    expect(runsPerDay('* * * * * *', 'UTC', FROM)).toBeCloseTo(86_400, -2);
  });

  it('counts in the time zone: its offset at the time of planning', () => {
    expect([offsetMinutes('Europe/Paris', new Date('2030-01-15T12:00:00Z')), offsetMinutes('Europe/Paris', new Date('2030-07-15T12:00:00Z')), offsetMinutes('Asia/Kolkata', FROM), offsetMinutes('America/New_York', FROM)]).toEqual([60, 120, 330, -240]);
    // Weekdays at 23:30 in Tokyo are Sunday to Thursday in UTC: still five a week.
    expect(runsPerDay('30 23 * * 1-5', 'Asia/Tokyo', FROM)).toBeCloseTo(5 / 7, 10);
  });

  it('is null for manual only and 0 for a schedule that never fires', () => {
    expect(runsPerDay(undefined)).toBeNull();
    expect(runsPerDay('0 0 30 2 *', 'UTC', FROM)).toBe(0);
  });

  it('reads as a person would write it', () => {
    expect([formatRate(null), formatRate(24), formatRate(5 / 7), formatRate(16.8), formatRate(1440)]).toEqual(['manual only', '24/day', '0.71/day', '16.8/day', '1440/day']);
    expect(formatNumber(403.2)).toBe('403');
  });
});

describe('claude access', () => {
  it('ranks the permission modes of the real CLI, strictest first', () => {
    expect([...PERMISSION_MODES].sort((a, b) => modeRank(a) - modeRank(b))).toEqual(['plan', 'default', 'dontAsk', 'acceptEdits', 'auto', 'bypassPermissions']);
  });

  it('counts flags passed in args as the CLI reads them', () => {
    const a = accessOf({ type: 'claude', env: {}, timeout: '5m', allowedTools: ['Read'], args: ['--allowedTools', 'Bash(git *) Edit,Write', '--permission-mode=acceptEdits', '--mcp-config', 'm.json', '--add-dir', '../x'] });
    expect(a).toEqual({ permissionMode: 'acceptEdits', allowedTools: ['Read', 'Bash(git *)', 'Edit', 'Write'], disallowedTools: [], mcpConfig: ['m.json'], addDirs: ['../x'] });
    expect(accessOf({ type: 'claude', env: {}, timeout: '5m', permissionMode: 'plan', args: ['--dangerously-skip-permissions'] }).permissionMode).toBe('bypassPermissions');
  });
});
