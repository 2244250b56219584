import { describe, expect, it } from 'vitest';
import {
  addDays,
  dateInZone,
  isValidTimeZone,
  parseDate,
  parseOffsetDateTime,
  parseWallClock,
  utcToWallTime,
  wallTimeToUtc,
  zoneOffsetMs,
} from '../../src/domain/time-zones.js';

const wall = (year: number, month: number, day: number, hour: number, minute = 0) => ({
  year,
  month,
  day,
  hour,
  minute,
  second: 0,
});
const iso = (ms: number) => new Date(ms).toISOString();

describe('parseOffsetDateTime', () => {
  it.each([
    ['2024-05-01T09:30:00.000+0200', '2024-05-01T07:30:00.000Z'],
    ['2024-05-01T09:30:00.000+02:00', '2024-05-01T07:30:00.000Z'],
    ['2024-05-01T09:30:00Z', '2024-05-01T09:30:00.000Z'],
    ['2024-05-01T09:30:00.123-0930', '2024-05-01T19:00:00.123Z'],
    ['2024-12-31T23:30:00.000-1000', '2025-01-01T09:30:00.000Z'],
    ['2024-05-01T09:30+0530', '2024-05-01T04:00:00.000Z'],
  ])('reads %s as %s', (input, expected) => {
    expect(iso(parseOffsetDateTime(input)!)).toBe(expected);
  });

  it.each([
    '2024-05-01T09:30:00',
    '2024-05-01',
    '2024-02-30T09:30:00Z',
    '2024-05-01T24:00:00Z',
    'tomorrow',
    '2024-05-01T09:30:00+2500',
  ])('rejects %s', (input) => {
    expect(parseOffsetDateTime(input)).toBeNull();
  });
});

describe('dates', () => {
  it('validates real calendar dates', () => {
    expect(parseDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
    expect(parseDate('2023-02-29')).toBeNull();
    expect(parseDate('2024-04-31')).toBeNull();
    expect(parseDate('2024-5-1')).toBeNull();
  });

  it('adds days across month and year ends and leap days', () => {
    expect(addDays('2024-01-31', 1)).toBe('2024-02-01');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2023-02-28', 1)).toBe('2023-03-01');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2024-03-31', 1)).toBe('2024-04-01');
  });

  it('takes the date in the given zone, not the process zone', () => {
    const instant = Date.UTC(2024, 4, 1, 10, 30);
    expect(dateInZone('UTC', instant)).toBe('2024-05-01');
    expect(dateInZone('Pacific/Kiritimati', instant)).toBe('2024-05-02');
    expect(dateInZone('America/Adak', Date.UTC(2024, 4, 2, 8, 59))).toBe('2024-05-01');
    expect(dateInZone('America/Adak', Date.UTC(2024, 4, 2, 9, 0))).toBe('2024-05-02');
  });
});

describe('wallTimeToUtc', () => {
  it('converts ordinary wall times in both halves of the year', () => {
    expect(iso(wallTimeToUtc('Europe/Berlin', wall(2024, 1, 15, 9)))).toBe('2024-01-15T08:00:00.000Z');
    expect(iso(wallTimeToUtc('Europe/Berlin', wall(2024, 7, 15, 9)))).toBe('2024-07-15T07:00:00.000Z');
    expect(iso(wallTimeToUtc('America/New_York', wall(2024, 7, 15, 9)))).toBe('2024-07-15T13:00:00.000Z');
    expect(iso(wallTimeToUtc('Pacific/Kiritimati', wall(2024, 1, 1, 0)))).toBe('2023-12-31T10:00:00.000Z');
    expect(iso(wallTimeToUtc('America/Adak', wall(2024, 1, 1, 23, 30)))).toBe('2024-01-02T09:30:00.000Z');
  });

  it('moves a time inside a spring-forward gap forward by the gap', () => {
    // Berlin skips 02:00-03:00 on 2024-03-31; New York skips 02:00-03:00 on 2024-03-10.
    expect(iso(wallTimeToUtc('Europe/Berlin', wall(2024, 3, 31, 2, 30)))).toBe('2024-03-31T01:30:00.000Z');
    expect(
      utcToWallTime('Europe/Berlin', wallTimeToUtc('Europe/Berlin', wall(2024, 3, 31, 2, 30))),
    ).toMatchObject({
      hour: 3,
      minute: 30,
    });
    expect(iso(wallTimeToUtc('America/New_York', wall(2024, 3, 10, 2, 30)))).toBe('2024-03-10T07:30:00.000Z');
    expect(iso(wallTimeToUtc('Europe/Berlin', wall(2024, 3, 31, 3, 0)))).toBe('2024-03-31T01:00:00.000Z');
  });

  it('takes the earlier instant of a time repeated by a fall-back transition', () => {
    expect(iso(wallTimeToUtc('Europe/Berlin', wall(2024, 10, 27, 2, 30)))).toBe('2024-10-27T00:30:00.000Z');
    expect(iso(wallTimeToUtc('America/New_York', wall(2024, 11, 3, 1, 30)))).toBe('2024-11-03T05:30:00.000Z');
    expect(iso(wallTimeToUtc('America/New_York', wall(2024, 11, 3, 2, 0)))).toBe('2024-11-03T07:00:00.000Z');
  });

  it('round-trips every hour of 2024 in four zones', () => {
    for (const zone of ['America/New_York', 'Europe/Berlin', 'Pacific/Kiritimati', 'America/Adak']) {
      for (let ms = Date.UTC(2024, 0, 1); ms < Date.UTC(2025, 0, 1); ms += 3_600_000) {
        const local = utcToWallTime(zone, ms);
        const back = wallTimeToUtc(zone, local);
        // A repeated wall time maps to its earlier instant, which may be an hour before `ms`.
        expect(ms - back === 0 || ms - back === 3_600_000).toBe(true);
      }
    }
  });

  it('reports offsets east-positive', () => {
    expect(zoneOffsetMs('Pacific/Kiritimati', Date.UTC(2024, 0, 1)) / 3_600_000).toBe(14);
    expect(zoneOffsetMs('America/Adak', Date.UTC(2024, 0, 1)) / 3_600_000).toBe(-10);
    expect(zoneOffsetMs('America/Adak', Date.UTC(2024, 6, 1)) / 3_600_000).toBe(-9);
  });
});

describe('zones and wall clocks', () => {
  it('accepts IANA names only', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('+01:00')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });

  it.each([
    ['9:00', 540],
    ['09:00', 540],
    ['7', 420],
    ['7:30', 450],
    [' 7.30 ', 450],
    ['23:59', 1439],
  ])('reads wall clock %s', (input, minutes) => {
    expect(parseWallClock(input)).toBe(minutes);
  });

  it.each(['24:00', '7:60', 'seven', '7:3', ''])('rejects wall clock %j', (input) => {
    expect(parseWallClock(input)).toBeNull();
  });
});
