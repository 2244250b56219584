import fc from 'fast-check';
import { request as httpRequest } from 'node:http';
import type { TestApp } from './test-app.js';

/** Text that tries to end the current iCalendar line and start properties or components of its own. */
export const ICS_INJECTIONS = [
  '\r\nATTENDEE:mailto:x@evil.example',
  '\nORGANIZER;CN=Boss:mailto:boss@evil.example',
  '\rMETHOD:REQUEST',
  '\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:injected@evil.example',
  '\r\nEND:VCALENDAR\r\n',
  'END:VEVENT',
  '\r\n X-INJECTED:folded',
  '\u2028X-INJECTED:ls',
  '\u0085X-INJECTED:nel',
  '\\r\\nX-INJECTED:escaped',
  '\u0000\r\nX-INJECTED:nul',
];

/** Property names the injections above try to smuggle in; none may appear as a content line. */
export const INJECTED_PROPERTY_NAMES = ['ATTENDEE', 'ORGANIZER', 'METHOD', 'X-INJECTED'];

const fromCodes = (min: number, max: number) =>
  fc.integer({ min, max }).map((code) => String.fromCharCode(code));

export const controlChar = fc.oneof(fromCodes(0x00, 0x1f), fromCodes(0x7f, 0x9f));
export const loneSurrogate = fromCodes(0xd800, 0xdfff);
export const lineBreak = fc.constantFrom(
  '\r',
  '\n',
  '\r\n',
  '\n\r',
  '\u2028',
  '\u2029',
  '\u0085',
  '\v',
  '\f',
);
export const emoji = fc.constantFrom('🎉', '👩‍👩‍👧‍👦', '🏳️‍🌈', '👍🏽', '🇩🇪', '\u{1F600}', '🧑🏿‍🚀', '\u{10FFFF}');
export const rtl = fc.constantFrom(
  '\u202E',
  '\u202D',
  '\u200F',
  '\u2067',
  '\u061C',
  'שלום עולם',
  'مرحبا بالعالم',
  '\u202Eevil.exe',
);
export const combining = fc.constantFrom(
  'e\u0301',
  'Z\u0324\u0354\u0367\u0311\u0313a\u0308\u0356\u032D',
  '\u0301\u0301\u0301',
  'ก้้้้้้้้้้้้้',
);
export const icsSpecial = fc.constantFrom(
  ';',
  ',',
  '\\',
  ':',
  '"',
  '\\n',
  '\\,',
  '\\;',
  ' ',
  '\t',
  '=',
  'VALUE=DATE:',
  '\u00A0',
);

/** One short piece of hostile text; strings built from these hit every escaping and folding path. */
export const hostileFragment: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...ICS_INJECTIONS), weight: 3 },
  { arbitrary: controlChar, weight: 2 },
  { arbitrary: loneSurrogate, weight: 2 },
  { arbitrary: lineBreak, weight: 2 },
  { arbitrary: emoji, weight: 2 },
  { arbitrary: rtl, weight: 1 },
  { arbitrary: combining, weight: 1 },
  { arbitrary: icsSpecial, weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 8 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }), weight: 2 },
);

export function hostileText(options: { maxFragments?: number } = {}): fc.Arbitrary<string> {
  return fc.array(hostileFragment, { maxLength: options.maxFragments ?? 12 }).map((parts) => parts.join(''));
}

/** Hostile text repeated up to `maxChars` characters (UTF-16 units), to push folding and size limits. */
export function hugeText(maxChars = 40_000): fc.Arbitrary<string> {
  return fc
    .tuple(
      hostileText({ maxFragments: 6 }).filter((text) => text.length > 0),
      fc.integer({ min: 1, max: maxChars }),
    )
    .map(([unit, chars]) => unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars));
}

/** Mostly short hostile strings, sometimes huge ones. */
export const anyHostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: hostileText(), weight: 8 },
  { arbitrary: hugeText(), weight: 1 },
);

/** JSON text inserted verbatim by `toJsonText`, for shapes JSON.stringify cannot build (very deep nesting). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** `depth` nested arrays or objects around a scalar, as JSON text (JSON.stringify would overflow the stack). */
export function deepNesting(kinds: ('array' | 'object')[] = ['array', 'object']): fc.Arbitrary<RawJson> {
  return fc
    .tuple(fc.integer({ min: 500, max: 20_000 }), fc.constantFrom(...kinds))
    .map(([depth, kind]) =>
      kind === 'array'
        ? new RawJson(`${'['.repeat(depth)}1${']'.repeat(depth)}`)
        : new RawJson(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
    );
}

/** Serialises a value, splicing in RawJson fragments; keys such as "__proto__" stay ordinary own keys. */
export function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const marked = JSON.stringify(value, (_key, item: unknown) => {
    if (item instanceof RawJson) {
      raws.push(item.text);
      return `\u0001RAW${raws.length - 1}\u0001`;
    }
    return item;
  });
  return marked.replace(
    /"\\u0001RAW(\d+)\\u0001"/g,
    (_match, index: string) => raws[Number(index)] ?? 'null',
  );
}

/** Sets `key` as a plain own property, even "__proto__" (which assignment would treat as the prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Builds an object whose keys may be "__proto__" or "constructor" as plain own properties, as JSON.parse does. */
export const ownObject = (entries: [string, unknown][]): Record<string, unknown> =>
  Object.fromEntries(entries);

export const pollutionKey = fc.constantFrom('__proto__', 'constructor', 'prototype');

/** An object that tries to reach Object.prototype through every spelling JSON allows. */
export const pollutionObject: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(pollutionKey, fc.constantFrom('polluted', 'isAdmin', 'toString', 'issueCap'))
  .map(([key, name]) =>
    ownObject([[key, key === 'constructor' ? { prototype: { [name]: true } } : ownObject([[name, true]])]]),
  );

/** Any JSON value that is not a plain object: wrong wherever an object is expected. */
export const nonObjectJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  anyHostileString,
  fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }),
  deepNesting(),
);

/**
 * A JSON value of any type but the one named; never undefined (JSON would drop the key and a default
 * apply), and for objects nothing object-shaped (unknown keys alone would make it valid).
 */
export function wrongType(
  expected: 'string' | 'number' | 'boolean' | 'object' | 'array',
): fc.Arbitrary<unknown> {
  const options: fc.Arbitrary<unknown>[] = [
    fc.constant(null),
    deepNesting(expected === 'object' ? ['array'] : ['array', 'object']),
  ];
  if (expected !== 'string') options.push(anyHostileString);
  if (expected !== 'number') options.push(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
  if (expected !== 'boolean') options.push(fc.boolean());
  if (expected !== 'object') {
    options.push(
      pollutionObject,
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    );
  }
  if (expected !== 'array') options.push(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }));
  return fc.oneof(...options);
}

/** Extra members to sprinkle over a body: unknown keys holding anything, and prototype-pollution keys. */
export const extraMembers: fc.Arbitrary<[string, unknown][]> = fc.array(
  fc.oneof(
    fc.tuple(
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.oneof(fc.jsonValue({ maxDepth: 3 }), deepNesting(), anyHostileString),
    ),
    fc.tuple(pollutionKey, fc.oneof(pollutionObject, fc.jsonValue({ maxDepth: 2 }))),
  ),
  { maxLength: 4 },
);

/** Path segments for ids in routes: traversal, encodings, non-UUIDs, very long and odd characters. */
export const oddIdSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '..%2f..%2fetc',
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e',
    '..',
    '%00',
    '%ZZ',
    '%',
    '%E0%A4%A',
    '%FF%FE',
    'null',
    'undefined',
    '0',
    '-1',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    "1'%20OR%20'1'='1",
    '1;DROP%20TABLE%20feeds',
    '%27%3B--',
    '__proto__',
    'constructor',
    '%7B%7D',
    '%0d%0aX-Injected:%20yes',
  ),
  fc.integer({ min: 1_000, max: 7_000 }).map((length) => 'a'.repeat(length)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map((text) => encodeURIComponent(text)),
  fc
    .uint8Array({ minLength: 1, maxLength: 40 })
    .map((bytes) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')),
);

const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;

/**
 * Which of `secrets` (and any JWT-looking string) occur in `text`. Secrets shorter than 8 characters are
 * refused, since they would match by chance.
 */
export function findSecrets(text: string, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [label, secret] of Object.entries(secrets)) {
    if (secret.length < 8) throw new Error(`secret "${label}" is too short to scan for`);
    if (text.includes(secret)) found.push(label);
  }
  for (const match of text.matchAll(JWT_PATTERN)) found.push(`a JWT (${match[0].slice(0, 12)}…)`);
  return found;
}

const STATE_TABLES = [
  'installations',
  'forge_system_tokens',
  'connect_store',
  'site_settings',
  'feeds',
  'feed_syncs',
  'feed_events',
  'feed_renders',
  'feed_subscriptions',
];

/** Every row of the tables a request could change, in a comparable form. */
export async function storedState(
  app: Pick<TestApp, 'db'>,
  except: readonly string[] = [],
): Promise<Record<string, string[]>> {
  const state: Record<string, string[]> = {};
  for (const table of STATE_TABLES.filter((name) => !except.includes(name))) {
    const rows = (await app.db.knex(table).select('*')) as unknown[];
    state[table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return state;
}

/**
 * Sends a request with its path exactly as given: fetch would resolve `..` and `.` segments before
 * sending, so the server would never see them.
 */
export function sendRaw(
  baseUrl: string,
  options: { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        hostname,
        port,
        method: options.method,
        path: options.path,
        headers: {
          ...options.headers,
          ...(options.body === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': String(Buffer.byteLength(options.body)),
              }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}
