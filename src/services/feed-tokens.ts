import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Feed URL tokens: 256-bit HMACs of (subscription id, nonce) under a server secret. The database keeps the
 * nonce and the token's SHA-256 only, so it can neither reveal nor rebuild a working URL on its own;
 * the server can show a URL to its owner again, and a new nonce revokes the old URL.
 */
export class FeedTokens {
  constructor(private readonly secret: string) {}

  newNonce(): string {
    return randomBytes(32).toString('base64url');
  }

  tokenFor(subscriptionId: string, nonce: string): string {
    return createHmac('sha256', this.secret).update(`${subscriptionId}.${nonce}`).digest('base64url');
  }

  static hash(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }

  /** Constant-time check that `presented` is the token this server would issue for the row. */
  matches(presented: string, subscriptionId: string, nonce: string): boolean {
    const expected = Buffer.from(this.tokenFor(subscriptionId, nonce));
    const given = Buffer.from(presented);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /** Tokens are 43 base64url characters; anything else is rejected before touching the database. */
  static looksValid(token: string): boolean {
    return /^[A-Za-z0-9_-]{43}$/.test(token);
  }
}
