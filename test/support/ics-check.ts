import ICAL from 'ical.js';

const MAX_OCTETS = 75;
const UTC_DATE_TIME = /^\d{8}T\d{6}Z$/;
const DATE = /^\d{8}$/;
const DATE_TIME = /^\d{8}T\d{6}Z?$/;
const TEXT_PROPERTIES = new Set([
  'SUMMARY',
  'DESCRIPTION',
  'LOCATION',
  'COMMENT',
  'NAME',
  'X-WR-CALNAME',
  'X-WR-CALDESC',
]);
const FORBIDDEN = new Set(['METHOD', 'ORGANIZER', 'ATTENDEE']);

type ContentLine = { name: string; params: Record<string, string>; value: string; line: number };
type Component = { name: string; properties: ContentLine[]; line: number };

/**
 * Problems that would make a subscription feed misbehave in calendar clients (see /work/shared/ICALENDAR.md).
 * Pass the bytes as served when you have them: only bytes show a UTF-8 character split by a fold.
 */
export function checkIcs(input: string | Uint8Array): string[] {
  const problems: string[] = [];
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  const text = typeof input === 'string' ? input : bytes.toString('utf8');

  checkLineEndings(text, problems);
  checkPhysicalLines(bytes, typeof input === 'string' ? input : null, problems);
  const lines = unfold(text);
  const components = checkStructure(lines, problems);
  checkCalendar(components, problems);
  checkEvents(components, problems);
  checkTimeZones(lines, components, problems);
  checkWithIcalJs(text, problems);
  return problems;
}

export type IcsEvent = {
  uid: string;
  summary: string;
  description: string | null;
  start: string;
  end: string | null;
  allDay: boolean;
  url: string | null;
  categories: string[];
  sequence: number | null;
  transp: string | null;
  alarmTriggers: string[];
};

/** Events as ical.js (Thunderbird's parser) reads them, with dates in iCalendar form ('20240501', '20240501T073000Z'). */
export function readIcsEvents(text: string): { calendar: Record<string, string>; events: IcsEvent[] } {
  const root = new ICAL.Component(ICAL.parse(text));
  const calendar: Record<string, string> = {};
  for (const property of root.getAllProperties()) {
    // ical.js leaves NAME and X-WR-* values undecoded; they are TEXT.
    const raw = property.toICALString().replace(/^[^:]*:/, '');
    calendar[property.name.toUpperCase()] = raw.replace(/\\([\\;,nN])/g, (_, char: string) =>
      char === 'n' || char === 'N' ? '\n' : char,
    );
  }
  const events = root.getAllSubcomponents('vevent').map((component) => {
    const start = component.getFirstPropertyValue('dtstart') as ICAL.Time;
    const end = component.getFirstPropertyValue('dtend') as ICAL.Time | null;
    const categories = component
      .getAllProperties('categories')
      .flatMap((property) => property.getValues().map(String));
    return {
      uid: String(component.getFirstPropertyValue('uid')),
      summary: String(component.getFirstPropertyValue('summary') ?? ''),
      description: (component.getFirstPropertyValue('description') as string | null) ?? null,
      start: icalTime(start),
      end: end ? icalTime(end) : null,
      allDay: start.isDate,
      url: (component.getFirstPropertyValue('url') as string | null) ?? null,
      categories,
      sequence: (component.getFirstPropertyValue('sequence') as number | null) ?? null,
      transp: (component.getFirstPropertyValue('transp') as string | null) ?? null,
      alarmTriggers: component
        .getAllSubcomponents('valarm')
        .map((alarm) => String(alarm.getFirstPropertyValue('trigger'))),
    };
  });
  return { calendar, events };
}

function icalTime(time: ICAL.Time): string {
  const date = `${String(time.year).padStart(4, '0')}${pad(time.month)}${pad(time.day)}`;
  if (time.isDate) return date;
  const zone = time.zone === ICAL.Timezone.utcTimezone ? 'Z' : '';
  return `${date}T${pad(time.hour)}${pad(time.minute)}${pad(time.second)}${zone}`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

function checkLineEndings(text: string, problems: string[]): void {
  const bare = /\r(?!\n)|(?<!\r)\n/.exec(text);
  if (bare)
    problems.push(`bare ${bare[0] === '\r' ? 'CR' : 'LF'} at offset ${bare.index}: lines must end in CRLF`);
  if (!text.endsWith('\r\n')) problems.push('the last line does not end in CRLF');
}

function checkPhysicalLines(bytes: Buffer, original: string | null, problems: string[]): void {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  let lineNumber = 1;
  const originalLines = original?.split('\r\n') ?? [];
  while (start < bytes.length) {
    let end = bytes.indexOf('\r\n', start);
    if (end === -1) end = bytes.length;
    const line = bytes.subarray(start, end);
    if (line.length > MAX_OCTETS)
      problems.push(`line ${lineNumber} has ${line.length} octets (max ${MAX_OCTETS})`);
    try {
      decoder.decode(line);
    } catch {
      problems.push(`line ${lineNumber} is not valid UTF-8 (a fold split a character?)`);
    }
    const originalLine = originalLines[lineNumber - 1];
    if (originalLine !== undefined && !originalLine.isWellFormed()) {
      problems.push(`line ${lineNumber} holds half of a surrogate pair (a fold split a character?)`);
    }
    if (line.length === 0 && end < bytes.length) problems.push(`line ${lineNumber} is empty`);
    start = end + 2;
    lineNumber += 1;
  }
}

function unfold(text: string): ContentLine[] {
  const result: ContentLine[] = [];
  const physical = text.split(/\r\n|\r|\n/);
  let current: { text: string; line: number } | null = null;
  physical.forEach((line, index) => {
    if ((line.startsWith(' ') || line.startsWith('\t')) && current) {
      current.text += line.slice(1);
      return;
    }
    if (current) result.push(parseContentLine(current.text, current.line));
    current = line === '' ? null : { text: line, line: index + 1 };
  });
  if (current)
    result.push(parseContentLine((current as { text: string }).text, (current as { line: number }).line));
  return result;
}

function parseContentLine(text: string, line: number): ContentLine {
  let index = 0;
  let inQuotes = false;
  const segments: string[] = [];
  let segmentStart = 0;
  for (; index < text.length; index += 1) {
    const char = text[index];
    if (char === '"') inQuotes = !inQuotes;
    else if (!inQuotes && char === ';') {
      segments.push(text.slice(segmentStart, index));
      segmentStart = index + 1;
    } else if (!inQuotes && char === ':') break;
  }
  segments.push(text.slice(segmentStart, index));
  const [name = '', ...paramTexts] = segments;
  const params: Record<string, string> = {};
  for (const param of paramTexts) {
    const equals = param.indexOf('=');
    params[param.slice(0, equals).toUpperCase()] = param.slice(equals + 1).replace(/^"|"$/g, '');
  }
  return { name: name.toUpperCase(), params, value: index < text.length ? text.slice(index + 1) : '', line };
}

function checkStructure(lines: ContentLine[], problems: string[]): Component[] {
  const components: Component[] = [];
  const stack: Component[] = [];
  for (const line of lines) {
    if (!/^[A-Z0-9-]+$/.test(line.name)) problems.push(`line ${line.line}: bad property name "${line.name}"`);
    if (line.name === 'BEGIN') {
      const component = { name: line.value.toUpperCase(), properties: [], line: line.line };
      stack.push(component);
      components.push(component);
    } else if (line.name === 'END') {
      const open = stack.pop();
      if (!open || open.name !== line.value.toUpperCase()) {
        problems.push(`line ${line.line}: END:${line.value} does not close ${open ? open.name : 'anything'}`);
      }
    } else {
      const open = stack.at(-1);
      if (!open) problems.push(`line ${line.line}: ${line.name} outside any component`);
      else open.properties.push(line);
      checkValue(line, problems);
    }
  }
  for (const open of stack) problems.push(`BEGIN:${open.name} on line ${open.line} is never closed`);
  if (components[0]?.name !== 'VCALENDAR') problems.push('the file does not start with BEGIN:VCALENDAR');
  return components;
}

function checkValue(line: ContentLine, problems: string[]): void {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000A-\u001F\u007F]/.test(line.value)) {
    problems.push(`line ${line.line}: ${line.name} holds a control character`);
  }
  if (FORBIDDEN.has(line.name))
    problems.push(`line ${line.line}: ${line.name} must not appear in a subscription feed`);
  if (['DTSTAMP', 'LAST-MODIFIED', 'CREATED'].includes(line.name) && !UTC_DATE_TIME.test(line.value)) {
    problems.push(`line ${line.line}: ${line.name} must be a UTC date-time, got "${line.value}"`);
  }
  if (TEXT_PROPERTIES.has(line.name) || line.name === 'CATEGORIES') {
    const problem = textEscapeProblem(line.value, line.name === 'CATEGORIES' ? ';' : ';,');
    if (problem) problems.push(`line ${line.line}: ${line.name} ${problem}`);
  }
  if (line.name === 'URL' && /[\\\s]/.test(line.value)) {
    problems.push(`line ${line.line}: URL must be percent-encoded, got "${line.value}"`);
  }
}

/** RFC 5545 TEXT: a backslash escapes one of \\ ; , n N; `special` characters must be escaped. */
function textEscapeProblem(value: string, special: string): string | null {
  for (let index = 0; index < value.length; index += 1) {
    const char = value[index] ?? '';
    if (char === '\\') {
      const next = value[index + 1];
      if (next === undefined || !'\\;,nN'.includes(next)) return 'has an invalid backslash escape';
      index += 1;
    } else if (special.includes(char)) return `has an unescaped "${char}"`;
  }
  return null;
}

function checkCalendar(components: Component[], problems: string[]): void {
  const calendar = components[0];
  if (!calendar) return;
  const names = calendar.properties.map((property) => property.name);
  if (!calendar.properties.some((property) => property.name === 'VERSION' && property.value === '2.0')) {
    problems.push('VCALENDAR has no VERSION:2.0');
  }
  if (!names.includes('PRODID')) problems.push('VCALENDAR has no PRODID');
}

function checkEvents(components: Component[], problems: string[]): void {
  const uids = new Map<string, number>();
  for (const event of components.filter((component) => component.name === 'VEVENT')) {
    const where = `VEVENT on line ${event.line}`;
    const one = (name: string): ContentLine | undefined => {
      const found = event.properties.filter((property) => property.name === name);
      if (found.length > 1) problems.push(`${where} has ${found.length} ${name} properties`);
      return found[0];
    };
    const uid = one('UID');
    const start = one('DTSTART');
    const end = one('DTEND');
    if (!uid) problems.push(`${where} has no UID`);
    else if (uids.has(uid.value))
      problems.push(`${where} repeats UID ${uid.value} (first on line ${uids.get(uid.value)})`);
    else uids.set(uid.value, event.line);
    if (!one('DTSTAMP')) problems.push(`${where} has no DTSTAMP`);
    if (!start) {
      problems.push(`${where} has no DTSTART`);
      continue;
    }
    checkDateProperty(start, where, problems);
    if (!end) continue;
    checkDateProperty(end, where, problems);
    const startIsDate = start.params['VALUE'] === 'DATE';
    if (startIsDate !== (end.params['VALUE'] === 'DATE'))
      problems.push(`${where}: DTSTART and DTEND differ in value type`);
    else if (
      start.params['TZID'] !== end.params['TZID'] &&
      !(start.value.endsWith('Z') && end.value.endsWith('Z'))
    ) {
      continue;
    } else if (end.value <= start.value)
      problems.push(`${where}: DTEND ${end.value} is not after DTSTART ${start.value}`);
  }
}

function checkDateProperty(property: ContentLine, where: string, problems: string[]): void {
  if (property.params['VALUE'] === 'DATE') {
    if (!DATE.test(property.value))
      problems.push(`${where}: ${property.name} is not a DATE: "${property.value}"`);
    return;
  }
  if (!DATE_TIME.test(property.value)) {
    problems.push(`${where}: ${property.name} is not a DATE-TIME: "${property.value}"`);
  } else if (!property.value.endsWith('Z') && !property.params['TZID']) {
    problems.push(`${where}: ${property.name} is a floating time (neither UTC nor TZID)`);
  }
}

function checkTimeZones(lines: ContentLine[], components: Component[], problems: string[]): void {
  const defined = new Set(
    components
      .filter((component) => component.name === 'VTIMEZONE')
      .flatMap((component) => component.properties.filter((property) => property.name === 'TZID'))
      .map((property) => property.value),
  );
  for (const line of lines) {
    const tzid = line.params['TZID'];
    if (tzid !== undefined && !defined.has(tzid))
      problems.push(`line ${line.line}: TZID ${tzid} has no VTIMEZONE`);
  }
}

function checkWithIcalJs(text: string, problems: string[]): void {
  try {
    const root = new ICAL.Component(ICAL.parse(text));
    if (root.name !== 'vcalendar') problems.push(`ical.js: root component is ${root.name}`);
    for (const component of root.getAllSubcomponents('vevent')) {
      // Without `exceptions`, ical.js scans every sibling VEVENT per event (quadratic on big feeds).
      const event = new ICAL.Event(component, { exceptions: [] });
      if (!event.uid) problems.push('ical.js: an event has no UID');
      if (event.endDate.compare(event.startDate) <= 0)
        problems.push(`ical.js: event ${event.uid} does not end after it starts`);
    }
  } catch (error) {
    problems.push(`ical.js cannot parse the feed: ${(error as Error).message}`);
  }
}
