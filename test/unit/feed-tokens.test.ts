import { describe, expect, it } from 'vitest';
import { FeedTokens } from '../../src/services/feed-tokens.js';

describe('FeedTokens', () => {
  const tokens = new FeedTokens('k'.repeat(64));

  it('issues 256-bit URL-safe tokens that only this secret reproduces', () => {
    const nonce = tokens.newNonce();
    const token = tokens.tokenFor('sub-1', nonce);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(FeedTokens.looksValid(token)).toBe(true);
    expect(tokens.tokenFor('sub-1', nonce)).toBe(token);
    expect(new FeedTokens('z'.repeat(64)).tokenFor('sub-1', nonce)).not.toBe(token);
    expect(tokens.tokenFor('sub-1', tokens.newNonce())).not.toBe(token);
  });

  it('checks a presented token against the row, and stores only a hash that is not the token', () => {
    const nonce = tokens.newNonce();
    const token = tokens.tokenFor('sub-2', nonce);
    expect(tokens.matches(token, 'sub-2', nonce)).toBe(true);
    expect(tokens.matches(token, 'sub-3', nonce)).toBe(false);
    expect(tokens.matches(`${token.slice(0, -1)}A`, 'sub-2', nonce)).toBe(token.endsWith('A'));
    expect(tokens.matches('short', 'sub-2', nonce)).toBe(false);
    expect(FeedTokens.hash(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(FeedTokens.hash(token)).not.toContain(token);
  });

  it('rejects anything that is not shaped like a token before any lookup', () => {
    for (const candidate of [
      '',
      'a'.repeat(42),
      'a'.repeat(44),
      `${'a'.repeat(42)}/`,
      `${'a'.repeat(42)}=`,
    ]) {
      expect(FeedTokens.looksValid(candidate)).toBe(false);
    }
  });
});
