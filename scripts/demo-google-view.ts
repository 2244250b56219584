import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeGoogle, GoogleEvent } from '../test/support/fake-google.js';

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

const startOf = (event: GoogleEvent): string => event.start['dateTime'] ?? event.start['date'] ?? '';

/** Everyone the app has pushed to: the fake keeps calendars per Google account, and every call names one. */
function pushedUsers(google: FakeGoogle): string[] {
  const users = new Set<string>();
  for (const call of google.calls) if (call.user) users.add(call.user);
  return [...users].sort();
}

function renderCalendars(google: FakeGoogle): string {
  const sections = pushedUsers(google).flatMap((user) =>
    google.calendarsOf(user).map((calendar) => {
      const rows = [...calendar.events]
        .sort((a, b) => startOf(a).localeCompare(startOf(b)))
        .map(
          (event) =>
            `<tr><td>${escapeHtml(startOf(event))}</td><td>${escapeHtml(event.summary ?? '')}</td>` +
            `<td>${escapeHtml(event.updated)}</td></tr>`,
        );
      return (
        `<section><h2>${escapeHtml(calendar.summary)} <small>(${escapeHtml(user)})</small></h2>` +
        `<table><thead><tr><th scope="col">Starts</th><th scope="col">Event</th>` +
        `<th scope="col">Last written by the app</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`
      );
    }),
  );
  const last = google.calls.at(-1);
  return (
    `<p role="status">Calendar API calls so far: ${google.calls.length}` +
    `${last ? ` (last: ${escapeHtml(last.method)})` : ''}.</p>` +
    (sections.length > 0
      ? sections.join('')
      : `<p>Nothing pushed yet: on My calendars, click “Keep it live in Google Calendar”.</p>`)
  );
}

/** Asks for the calendars every 3 seconds and redraws them when they changed, so an edit can be watched arriving. */
const REFRESH_SCRIPT = `const box = document.getElementById('calendars');
setInterval(async () => {
  const text = await (await fetch('calendars', { cache: 'no-store' })).text();
  if (text !== box.innerHTML) box.innerHTML = text;
}, 3000);`;

function renderPage(google: FakeGoogle): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fake Google Calendar</title>` +
    `<style>body{font:15px system-ui;margin:2rem}` +
    `table{border-collapse:collapse}td,th{border-bottom:1px solid #ccc;padding:.3rem .8rem;text-align:left}</style>` +
    `</head><body><main><h1>Fake Google Calendar</h1>` +
    `<p>The calendars Calendar Sync keeps live in the fake Google accounts, redrawn as they change.</p>` +
    `<div id="calendars">${renderCalendars(google)}</div></main><script>${REFRESH_SCRIPT}</script></body></html>`
  );
}

/** A page showing what the app pushed into the fake Google, for `npm run demo`. */
export async function startGoogleView(
  google: FakeGoogle,
  port: number,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(req.url === '/calendars' ? renderCalendars(google) : renderPage(google));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
