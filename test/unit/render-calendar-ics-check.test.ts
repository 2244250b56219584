import { describe, expect, it } from 'vitest';
import { checkIcs } from '../support/ics-check.js';

const GOOD = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Test//Test//EN',
  'BEGIN:VEVENT',
  'UID:1-due@x',
  'DTSTAMP:20240502T080000Z',
  'DTSTART;VALUE=DATE:20240531',
  'DTEND;VALUE=DATE:20240601',
  'SUMMARY:Fine\\, really',
  'LAST-MODIFIED:20240502T080000Z',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:2-due@x',
  'DTSTAMP:20240502T080000Z',
  'DTSTART:20240531T100000Z',
  'DTEND:20240531T110000Z',
  'SUMMARY:Also fine',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

function mutate(from: string, to: string): string {
  if (!GOOD.includes(from)) throw new Error(`fixture lacks ${from}`);
  return GOOD.replace(from, to);
}

describe('checkIcs', () => {
  it('accepts a correct feed, as text and as bytes', () => {
    expect(checkIcs(GOOD)).toEqual([]);
    expect(checkIcs(Buffer.from(GOOD))).toEqual([]);
  });

  it.each([
    ['bare LF line endings', GOOD.replace(/\r\n/g, '\n'), /bare LF/],
    ['a missing final CRLF', GOOD.slice(0, -2), /last line/],
    ['a line over 75 octets', mutate('SUMMARY:Also fine', `SUMMARY:${'é'.repeat(40)}`), /octets/],
    [
      'a local DTSTAMP',
      mutate('DTSTAMP:20240502T080000Z\r\nDTSTART;', 'DTSTAMP:20240502T080000\r\nDTSTART;'),
      /DTSTAMP must be a UTC/,
    ],
    [
      'a non-UTC LAST-MODIFIED',
      mutate('LAST-MODIFIED:20240502T080000Z', 'LAST-MODIFIED:20240502'),
      /LAST-MODIFIED/,
    ],
    [
      'a TZID without VTIMEZONE',
      mutate('DTSTART:20240531T100000Z', 'DTSTART;TZID=Europe/Berlin:20240531T100000'),
      /TZID Europe\/Berlin has no VTIMEZONE/,
    ],
    ['a floating time', mutate('DTSTART:20240531T100000Z', 'DTSTART:20240531T100000'), /floating/],
    [
      'an end before the start',
      mutate('DTEND;VALUE=DATE:20240601', 'DTEND;VALUE=DATE:20240531'),
      /not after DTSTART/,
    ],
    ['a duplicate UID', mutate('UID:2-due@x', 'UID:1-due@x'), /repeats UID/],
    ['METHOD', mutate('VERSION:2.0', 'VERSION:2.0\r\nMETHOD:REQUEST'), /METHOD must not appear/],
    [
      'ORGANIZER',
      mutate('UID:2-due@x', 'UID:2-due@x\r\nORGANIZER:mailto:a@b.c'),
      /ORGANIZER must not appear/,
    ],
    ['ATTENDEE', mutate('UID:2-due@x', 'UID:2-due@x\r\nATTENDEE:mailto:a@b.c'), /ATTENDEE must not appear/],
    ['an unescaped comma', mutate('SUMMARY:Also fine', 'SUMMARY:Also, fine'), /unescaped ","/],
    ['a bad escape', mutate('SUMMARY:Also fine', 'SUMMARY:Also \\x fine'), /invalid backslash/],
    [
      'a backslash-escaped URL',
      mutate('SUMMARY:Also fine', 'URL;VALUE=URI:https://x.test/a\\,b'),
      /URL must be percent-encoded/,
    ],
    [
      'an unclosed component',
      mutate('END:VEVENT\r\nEND:VCALENDAR', 'END:VCALENDAR'),
      /END:VCALENDAR does not close VEVENT/,
    ],
    ['no PRODID', mutate('PRODID:-//Test//Test//EN\r\n', ''), /no PRODID/],
  ])('reports %s', (_, text, problem) => {
    expect(checkIcs(text).join('\n')).toMatch(problem);
  });

  it('reports a UTF-8 character split by a fold when given bytes', () => {
    const folded = mutate('SUMMARY:Also fine', 'SUMMARY:Größe\r\n x');
    const bytes = Buffer.from(folded);
    const split = bytes.indexOf(Buffer.from('ö'));
    // Move the fold between the two bytes of 'ö'.
    const broken = Buffer.concat([
      bytes.subarray(0, split + 1),
      Buffer.from('\r\n '),
      bytes.subarray(split + 1),
    ]);
    expect(checkIcs(broken).join('\n')).toMatch(/not valid UTF-8/);
  });

  it('reports half a surrogate pair left by a fold in a string', () => {
    const text = mutate('SUMMARY:Also fine', 'SUMMARY:\ud83c\r\n \udf89');
    expect(checkIcs(text).join('\n')).toMatch(/surrogate/);
  });

  it('reports what ical.js cannot parse', () => {
    expect(checkIcs(mutate('DTSTART:20240531T100000Z', 'DTSTART:not-a-date')).join('\n')).toMatch(
      /ical\.js|DATE-TIME/,
    );
  });
});
