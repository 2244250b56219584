import * as jwt from 'atlassian-jwt';

/** Query parameters as atlassian-jwt expects them: repeated names become arrays. */
export function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    record[name] = values.length === 1 ? values[0]! : values;
  }
  return record;
}

/**
 * The Connect query-string hash (`qsh`) of a request: SHA-256 of `METHOD&path&sorted-canonical-query`.
 * `baseUrl` is the site or app base URL; a path prefix in it is not part of the canonical path.
 */
export function connectQsh(method: string, url: string, baseUrl?: string): string {
  const parsed = new URL(url, 'http://relative.invalid');
  return jwt.createQueryStringHash(
    { method, pathname: parsed.pathname, query: queryRecord(parsed.searchParams) },
    false,
    baseUrl,
  );
}

export type SignAppRequestOptions = {
  method: string;
  /** Absolute URL or path with its query string, exactly as it will be sent. */
  url: string;
  appKey: string;
  sharedSecret: string;
  expiresInSeconds?: number;
  /** Overrides the computed hash, to forge a token for another request. */
  qsh?: string;
  baseUrl?: string;
  now?: Date;
};

/** The `Authorization` header value an app sends to Jira: `JWT <HS256 token>` with iss = app key. */
export function signAppRequest(options: SignAppRequestOptions): string {
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const claims = {
    iss: options.appKey,
    iat,
    exp: iat + (options.expiresInSeconds ?? 180),
    qsh: options.qsh ?? connectQsh(options.method, options.url, options.baseUrl),
  };
  return `JWT ${jwt.encodeSymmetric(claims, options.sharedSecret, jwt.SymmetricAlgorithm.HS256)}`;
}

/** Header and claims of a JWT, not verified. */
export function readJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header = '', claims = ''] = token.replace(/^JWT\s+/i, '').split('.');
  const decode = (segment: string): Record<string, unknown> =>
    JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: decode(header), claims: decode(claims) };
}
