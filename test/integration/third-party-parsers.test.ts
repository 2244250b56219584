import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeJira, generateIssues } from '../support/fake-jira/fake-jira.js';
import { ADMIN, apiAs, EVERY_RULE_KIND, sampleFeedConfig } from '../support/site.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const run = promisify(execFile);
const PARSERS_DIR = path.resolve(import.meta.dirname, '../support/ics-parsers');

type ParsedEvent = {
  uid: string;
  summary: string | null;
  description: string | null;
  start: string | null;
  status: string | null;
};
type ParsedFile = { file: string; errors: string[]; events: ParsedEvent[] };

/** Text people type into Jira that has broken feeds elsewhere: escapes, folds inside characters, controls. */
const HOSTILE_SUMMARIES = [
  'Semicolons; commas, backslashes \\ and "quotes"',
  'Line one\nline two\r\nline three\rline four',
  'Family 👨‍👩‍👧‍👦 and flags 🇩🇪🇯🇵 '.repeat(6),
  'Über-long ' + 'ä'.repeat(120) + ' end',
  'Bell \u0007 escape \u001b[31m red \u0000 nul and a tab\there',
  'Right-to-left \u202e override \u2066 and zero width \u200b',
  'BEGIN:VEVENT\r\nUID:injected\r\nEND:VEVENT',
  'Mixed scripts: 東京オフィス · Καλημέρα · שלום · مرحبا',
];

let jira: FakeJira;
let app: TestApp;
let dir: string;
const files: string[] = [];

/** What ical.js (Thunderbird's parser) reads: the reference the other parsers must agree with. */
function readWithIcalJs(text: string): ParsedEvent[] {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const zone of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(zone);
  return calendar.getAllSubcomponents('vevent').map((event) => {
    const start = event.getFirstPropertyValue('dtstart') as ICAL.Time;
    const text = (name: string) => {
      const value = event.getFirstPropertyValue(name);
      return value === null ? null : String(value);
    };
    return {
      uid: String(event.getFirstPropertyValue('uid')),
      summary: text('summary'),
      description: text('description'),
      start: start.isDate ? `date:${start.toString().slice(0, 10)}` : `utc:${Math.round(start.toUnixTime())}`,
      status: text('status'),
    };
  });
}

let libicalBinary: Promise<string> | null = null;
/** Builds the libical reader once per run, against Debian's libical-dev. */
function libicalReader(): Promise<string> {
  libicalBinary ??= (async () => {
    const binary = path.join(dir, 'libical-read');
    const { stdout: flags } = await run('pkg-config', ['--cflags', '--libs', 'libical']);
    await run('gcc', [
      '-O1',
      '-o',
      binary,
      path.join(PARSERS_DIR, 'libical-read.c'),
      ...flags.trim().split(/\s+/),
    ]);
    return binary;
  })();
  return libicalBinary;
}

const byUid = (events: ParsedEvent[]) => [...events].sort((a, b) => a.uid.localeCompare(b.uid));

beforeAll(async () => {
  jira = await FakeJira.start();
  const hostile = generateIssues(HOSTILE_SUMMARIES.length, { startId: 70_000, startNumber: 700 });
  hostile.forEach((issue, index) => {
    issue.summary = HOSTILE_SUMMARIES[index]!;
    issue.duedate = `2026-06-${String(index + 1).padStart(2, '0')}`;
  });
  jira.data.issues.push(...hostile);
  app = await startTestApp({ connectKeysUrl: jira.keysUrl });
  await jira.install(app.url);
  dir = await mkdtemp(path.join(tmpdir(), 'calendar-sync-parsers-'));
  const admin = apiAs(app, jira, ADMIN);
  const feeds = [
    sampleFeedConfig({
      name: 'Every kind; with, "hostile" name \\ ☃',
      source: { type: 'jql', jql: 'project in (CAL, MKT, OPS)' },
      rules: EVERY_RULE_KIND,
      content: {
        summaryTemplate: '{key}: {summary}',
        descriptionTemplate: '{summary}\n{status} · {assignee} · {url}',
        categories: ['Ops, Dev', 'Plan;ning'],
        alarmMinutesBefore: 15,
        resolved: 'mark',
      },
    }),
    sampleFeedConfig({ name: 'Defaults', source: { type: 'jql', jql: 'project = CAL' } }),
    sampleFeedConfig({
      name: 'Keeps removed issues',
      source: { type: 'jql', jql: 'project = CAL' },
      removedIssues: { mode: 'cancel', keepDays: 7 },
    }),
  ];
  for (const [index, config] of feeds.entries()) {
    const created = await admin.post('/feeds', config);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(await app.services.sync.syncFeed(jira.clientKey, created.body.id)).toMatchObject({ status: 'ok' });
    if ('removedIssues' in config) {
      // CAL-2 leaves the query: the last feed serves its event as a tombstone.
      jira.data.issues.find((issue) => issue.key === 'CAL-2')!.projectKey = 'MKT';
      const resynced = await app.services.sync.syncFeed(jira.clientKey, created.body.id);
      expect(resynced).toMatchObject({ status: 'ok', rendered: true });
    }
    const served = await fetch(created.body.url);
    expect(served.status).toBe(200);
    const file = path.join(dir, `feed-${index}.ics`);
    await writeFile(file, Buffer.from(await served.arrayBuffer()));
    files.push(file);
  }
});
afterAll(async () => {
  await app?.stop();
  await jira?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Reads back what the reference parser saw for each file. */
async function reference(): Promise<ParsedFile[]> {
  const out: ParsedFile[] = [];
  for (const file of files) {
    out.push({ file, errors: [], events: readWithIcalJs(await readFile(file, 'utf8')) });
  }
  return out;
}

function expectAgreement(parser: string, parsed: ParsedFile[], expected: ParsedFile[]): void {
  expect(parsed.map((entry) => entry.file)).toEqual(expected.map((entry) => entry.file));
  for (const [index, entry] of parsed.entries()) {
    expect(entry.errors, `${parser} on ${path.basename(entry.file)}`).toEqual([]);
    expect(entry.events.length, `${parser}: events in ${path.basename(entry.file)}`).toBeGreaterThan(5);
    expect(byUid(entry.events), `${parser} on ${path.basename(entry.file)}`).toEqual(
      byUid(expected[index]!.events),
    );
  }
}

/** A file with defects each parser must report, so that a clean report above means something. */
const BROKEN = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//test//broken//EN',
  'BEGIN:VEVENT',
  'UID:broken-1',
  'DTSTAMP:20260101T000000Z',
  'DTSTART;VALUE=DATE:2026X101',
  'SUMMARY Broken, no colon',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

describe('feeds read by other real calendar parsers', () => {
  it('the parsers report a broken file (the checks below can fail)', async () => {
    const broken = path.join(dir, 'broken.ics');
    await writeFile(broken, BROKEN);
    const python = JSON.parse(
      (await run('/usr/bin/python3', [path.join(PARSERS_DIR, 'python-read.py'), broken])).stdout,
    ) as { vobject: ParsedFile[]; icalendar: ParsedFile[] };
    expect(python.vobject[0]!.errors).not.toEqual([]);
    expect(python.icalendar[0]!.errors).not.toEqual([]);
    const libical = JSON.parse((await run(await libicalReader(), [broken])).stdout) as ParsedFile[];
    expect(libical[0]!.errors).not.toEqual([]);
  });

  it('carry the hostile texts into the feed', async () => {
    const [allKinds] = await reference();
    const summaries = allKinds!.events.map((event) => event.summary ?? '');
    expect(summaries.some((summary) => summary.includes('Semicolons; commas, backslashes \\'))).toBe(true);
    expect(summaries.some((summary) => summary.includes('👨‍👩‍👧‍👦'))).toBe(true);
    expect(allKinds!.events.some((event) => event.uid === 'injected')).toBe(false);
    const bell = summaries.find((summary) => summary.includes('Bell'));
    // RFC 5545 TEXT has no control characters; line breaks travel escaped as \\n.
    expect(bell).toMatch(/-\d+: Bell {2}escape \[31m red {2}nul and a tab.here$/);
    const controls = (text: string) =>
      [...text].filter((char) => (char.charCodeAt(0) < 0x20 && char !== '\n') || char === '\u007f');
    for (const summary of summaries) expect(controls(summary)).toEqual([]);
  });

  it('carry a removed issue as STATUS:CANCELLED in the tombstone feed', async () => {
    const tombstoneFeed = (await reference()).at(-1)!;
    const cancelled = tombstoneFeed.events.filter((event) => event.status === 'CANCELLED');
    expect(cancelled.length).toBeGreaterThan(0);
    expect(cancelled.every((event) => event.summary?.startsWith('CAL-2:'))).toBe(true);
  });

  it('read the same events with vobject and icalendar (Python), without errors', async () => {
    const { stdout } = await run('/usr/bin/python3', [path.join(PARSERS_DIR, 'python-read.py'), ...files], {
      maxBuffer: 64 * 1024 * 1024,
    });
    const parsed = JSON.parse(stdout) as { vobject: ParsedFile[]; icalendar: ParsedFile[] };
    const expected = await reference();
    expectAgreement('vobject', parsed.vobject, expected);
    expectAgreement('icalendar', parsed.icalendar, expected);
  });

  it('read the same events with libical (C), which records no X-LIC-ERROR', async () => {
    const { stdout } = await run(await libicalReader(), files, { maxBuffer: 64 * 1024 * 1024 });
    expectAgreement('libical', JSON.parse(stdout) as ParsedFile[], await reference());
  });
});
