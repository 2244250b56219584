const DATETIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)([+-])(\d{2}):?(\d{2})$/;

/** Epoch milliseconds of a Jira datetime such as `2026-05-01T09:30:00.000+0200` (also accepts `Z` and `+02:00`). */
export function parseJiraDateTime(value: string): number {
  const match = DATETIME.exec(value);
  const ms = Date.parse(match ? `${match[1]}${match[2]}${match[3]}:${match[4]}` : value);
  if (Number.isNaN(ms) || (!match && !value.endsWith('Z'))) throw new Error(`Not a Jira datetime: ${value}`);
  return ms;
}

/** Formats an instant the way Jira Cloud does for a user in `timeZone`. */
export function formatJiraDateTime(epochMs: number, timeZone: string): string {
  const offset = offsetMinutes(timeZone, epochMs);
  const local = new Date(epochMs + offset * 60_000).toISOString().slice(0, 23);
  const abs = Math.abs(offset);
  return `${local}${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** UTC offset of `timeZone` at an instant, in minutes. */
export function offsetMinutes(timeZone: string, epochMs: number): number {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = formatter.formatToParts(epochMs);
  const part = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'));
  return Math.round((wall - Math.floor(epochMs / 60_000) * 60_000) / 60_000);
}

/**
 * "Wall-clock milliseconds": a local date and time written as if it were UTC, so calendar arithmetic can use
 * the Date.UTC functions. These convert between instants and wall-clock time in a zone.
 */
export const toWallClock = (epochMs: number, timeZone: string): number =>
  epochMs + offsetMinutes(timeZone, epochMs) * 60_000;

export function fromWallClock(wallMs: number, timeZone: string): number {
  const guess = wallMs - offsetMinutes(timeZone, wallMs) * 60_000;
  return wallMs - offsetMinutes(timeZone, guess) * 60_000;
}

/** `YYYY-MM-DD` as wall-clock milliseconds at midnight. */
export function parseJiraDate(value: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new Error(`Not a Jira date: ${value}`);
  return Date.parse(`${value}T00:00:00Z`);
}

export const formatJiraDate = (wallMs: number): string => new Date(wallMs).toISOString().slice(0, 10);

const pad = (n: number): string => String(n).padStart(2, '0');
