/** A wall-clock reading without a zone. Months are 1-12. */
export type WallTime = {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
};

const MS_PER_DAY = 86_400_000;
const ZONE_NAME = /^(?:UTC|[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2})$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** True for IANA zone names Intl knows ("Europe/Berlin", "UTC"); offset strings such as "+01:00" are rejected. */
export function isValidTimeZone(zone: string): boolean {
  if (!ZONE_NAME.test(zone)) return false;
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

export function utcToWallTime(zone: string, epochMs: number): WallTime {
  const wall: WallTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  let bce = false;
  for (const part of formatterFor(zone).formatToParts(epochMs)) {
    switch (part.type) {
      case 'year':
      case 'month':
      case 'day':
      case 'hour':
      case 'minute':
      case 'second':
        wall[part.type] = Number(part.value);
        break;
      case 'era':
        bce = part.value.startsWith('B');
        break;
      case 'literal':
      case 'dayPeriod':
      case 'fractionalSecond':
      case 'timeZoneName':
      case 'weekday':
      case 'unknown':
        break;
    }
  }
  if (bce) wall.year = 1 - wall.year;
  return wall;
}

function wallAsUtcMs(wall: WallTime): number {
  const ms = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  // Date.UTC maps years 0-99 to 1900-1999.
  return wall.year >= 0 && wall.year < 100 ? new Date(ms).setUTCFullYear(wall.year) : ms;
}

/** Offset of `zone` from UTC at an instant, in milliseconds (east positive). */
export function zoneOffsetMs(zone: string, epochMs: number): number {
  const wholeSecond = Math.floor(epochMs / 1000) * 1000;
  return wallAsUtcMs(utcToWallTime(zone, wholeSecond)) - wholeSecond;
}

/**
 * The instant a wall-clock time in `zone` denotes. A time skipped by a forward transition is moved
 * forward by the gap (02:30 on a spring-forward night becomes 03:30); a repeated time takes the earlier instant.
 */
export function wallTimeToUtc(zone: string, wall: WallTime): number {
  const local = wallAsUtcMs(wall);
  const offsetBefore = zoneOffsetMs(zone, local - MS_PER_DAY);
  const offsetAfter = zoneOffsetMs(zone, local + MS_PER_DAY);
  if (offsetBefore === offsetAfter) return local - offsetBefore;
  const offsets = new Set([offsetBefore, zoneOffsetMs(zone, local), offsetAfter]);
  let best: number | null = null;
  for (const offset of offsets) {
    const candidate = local - offset;
    if (zoneOffsetMs(zone, candidate) === offset && (best === null || candidate < best)) best = candidate;
  }
  return best ?? local - offsetBefore;
}

/** The calendar date (YYYY-MM-DD) in `zone` at an instant. */
export function dateInZone(zone: string, epochMs: number): string {
  const wall = utcToWallTime(zone, epochMs);
  return formatDate(wall.year, wall.month, wall.day);
}

export function formatDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses a real calendar date 'YYYY-MM-DD' (rejects 2024-02-30). */
export function parseDate(value: string): { year: number; month: number; day: number } | null {
  const match = DATE.exec(value);
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return { year, month, day };
}

export function addDays(date: string, days: number): string {
  const parsed = parseDate(date);
  if (!parsed) throw new Error(`Not a date: ${date}`);
  const shifted = new Date(wallAsUtcMs({ ...parsed, hour: 12, minute: 0, second: 0 }) + days * MS_PER_DAY);
  return formatDate(shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, shifted.getUTCDate());
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/;

/**
 * Epoch milliseconds of an offset-aware datetime as Jira writes it: `2024-05-01T09:30:00.000+0200`,
 * also `+02:00` and `Z`. Datetimes without an offset are rejected rather than read in some local zone.
 */
export function parseOffsetDateTime(value: string): number | null {
  const match = DATETIME.exec(value);
  if (!match) return null;
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, offH, offM] = match;
  const date = parseDate(`${y}-${mo}-${d}`);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? '0');
  if (!date || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (!zulu) {
    const offsetHours = Number(offH);
    const offsetMins = Number(offM);
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const millis = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
  return wallAsUtcMs({ ...date, hour, minute, second }) + millis - offsetMinutes * 60_000;
}

/** Parses "9:00", "09:00", "7", "7:30" (also "7.30", "7h30") into minutes after midnight. */
export function parseWallClock(value: string): number | null {
  const match = /^\s*(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*$/.exec(value);
  if (!match) return null;
  const hour = Number(match[1]);
  const minute = Number(match[2] ?? '0');
  if (hour > 23 || minute > 59) return null;
  return hour * 60 + minute;
}

export function toUtcIso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}
