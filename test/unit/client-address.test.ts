import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { clientAddress } from '../../src/http/client-address.js';

/** What Express gives a request from `socket` carrying `forwarded`, with `ip` as Express's own reading. */
function request(socket: string, forwarded: string | undefined, ip: string): Request {
  return {
    ip,
    socket: { remoteAddress: socket },
    get: (name: string) => (name.toLowerCase() === 'x-forwarded-for' ? forwarded : undefined),
  } as unknown as Request;
}

describe('clientAddress', () => {
  it('with TRUST_PROXY=true reads the entry the one trusted proxy appended, never the forged leftmost one', () => {
    const req = request('10.0.0.1', 'forged-1, forged-2, 203.0.113.9', 'forged-1');
    expect(clientAddress(req, true)).toBe('203.0.113.9');
    expect(clientAddress(request('10.0.0.1', undefined, '10.0.0.1'), true)).toBe('10.0.0.1');
  });

  it('uses Express reading for hop counts and subnets, which walk in from the socket, and the socket otherwise', () => {
    expect(clientAddress(request('10.0.0.1', 'forged, 203.0.113.9, 10.0.0.2', '203.0.113.9'), 2)).toBe(
      '203.0.113.9',
    );
    expect(clientAddress(request('10.0.0.1', 'forged', '10.0.0.1'), false)).toBe('10.0.0.1');
  });
});
