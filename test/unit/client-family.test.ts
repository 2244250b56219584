import { describe, expect, it } from 'vitest';
import { clientFamilyOf, neverFetchedSinceShown } from '../../src/domain/client-family.js';

const HOUR_MS = 60 * 60 * 1000;

describe('clientFamilyOf', () => {
  it.each([
    ['Google-Calendar-Importer', 'google'],
    ['Mozilla/5.0 (compatible; Google-Calendar-Importer; +http://www.google.com/)', 'google'],
    ['Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)', 'outlook'],
    ['Microsoft Exchange/15.20 (Windows NT 10.0; Win64; x64)', 'outlook'],
    ['macOS/14.4 (23E214) CalendarAgent/1000', 'apple'],
    ['iOS/17.4 (21E219) dataaccessd/1.0', 'apple'],
    ['Mozilla/5.0 Thunderbird/115.0', 'other'],
    [null, 'other'],
  ])('%s → %s', (userAgent, family) => {
    expect(clientFamilyOf(userAgent)).toBe(family);
  });
});

describe('neverFetchedSinceShown', () => {
  const now = new Date('2026-12-10T12:00:00Z');
  const ago = (hours: number) => new Date(now.getTime() - hours * HOUR_MS);

  it('warns only once 48 hours have passed since the URL was shown without a fetch after it', () => {
    expect(neverFetchedSinceShown({ urlShownAt: null, lastFetchedAt: null }, now)).toBe(false);
    expect(neverFetchedSinceShown({ urlShownAt: ago(47), lastFetchedAt: null }, now)).toBe(false);
    expect(neverFetchedSinceShown({ urlShownAt: ago(49), lastFetchedAt: null }, now)).toBe(true);
    expect(neverFetchedSinceShown({ urlShownAt: ago(49), lastFetchedAt: ago(10) }, now)).toBe(false);
    // Fetched before a regenerate: the new URL has not been fetched.
    expect(neverFetchedSinceShown({ urlShownAt: ago(49), lastFetchedAt: ago(60) }, now)).toBe(true);
  });
});
