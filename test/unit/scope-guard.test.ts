import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DESCRIPTOR_PATH } from '../../src/paths.js';
import { MANIFEST_PATH } from '../support/fake-forge/forge-manifest.js';

/**
 * The Connect scopes the descriptor may hold: today's set, and no more. PROJECT_ADMIN is the one to
 * watch: Connect scopes nest (READ < WRITE < DELETE < PROJECT_ADMIN < ADMIN), so it carries WRITE and
 * DELETE with it. It is here only because Jira shows project role membership
 * (/rest/api/3/project/{id}/role/{roleId}) to project admins alone, and role-based feeds need that list
 * (README, "Connect scopes"); the app never writes. Anything beyond this set needs a reason in the README.
 */
const CONNECT_SCOPES = new Set(['READ', 'PROJECT_ADMIN']);

/** Forge scopes that write, delete or administer; only `read:` scopes are allowed at all. */
const FORGE_WIDENING = /^(write|manage|delete):|admin/i;

async function connectScopeProblems(file: string): Promise<string[]> {
  const descriptor = JSON.parse(await readFile(file, 'utf8')) as { scopes?: unknown };
  if (!Array.isArray(descriptor.scopes)) return ['the descriptor names no scopes list'];
  return descriptor.scopes
    .map((scope) => String(scope).toUpperCase())
    .filter((scope) => !CONNECT_SCOPES.has(scope))
    .map(
      (scope) =>
        `atlassian-connect.json asks for ${scope}; the app reads only (allowed: READ, PROJECT_ADMIN)`,
    );
}

async function forgeScopeProblems(file: string): Promise<string[]> {
  const manifest = parse(await readFile(file, 'utf8')) as { permissions?: { scopes?: unknown } };
  const scopes = manifest.permissions?.scopes;
  const names = Array.isArray(scopes) ? scopes.map(String) : Object.keys(scopes ?? {});
  return names
    .filter((scope) => FORGE_WIDENING.test(scope) || !scope.startsWith('read:'))
    .map((scope) => `forge/manifest.yml asks for ${scope}; the app reads only (read:* scopes)`);
}

describe('least-privilege scopes', () => {
  it('the Connect descriptor asks for READ and PROJECT_ADMIN only', async () => {
    expect(await connectScopeProblems(DESCRIPTOR_PATH)).toEqual([]);
  });

  it('the Forge manifest asks for read:* scopes only', async () => {
    expect(await forgeScopeProblems(MANIFEST_PATH)).toEqual([]);
  });
});

describe('the scope guard, against widened copies', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'calsync-scopes-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(['WRITE', 'DELETE', 'ADMIN', 'ACT_AS_USER', 'write'])(
    'fails a descriptor that adds %s',
    async (scope) => {
      const descriptor = JSON.parse(await readFile(DESCRIPTOR_PATH, 'utf8')) as { scopes: string[] };
      const copy = path.join(dir, 'atlassian-connect.json');
      await writeFile(copy, JSON.stringify({ ...descriptor, scopes: [...descriptor.scopes, scope] }));
      expect(await connectScopeProblems(copy)).toEqual([
        `atlassian-connect.json asks for ${scope.toUpperCase()}; the app reads only (allowed: READ, PROJECT_ADMIN)`,
      ]);
    },
  );

  it.each([
    'write:jira-work',
    'manage:jira-configuration',
    'manage:jira-project',
    'delete:issue:jira',
    'read:audit-log:jira-admin',
    'storage:app',
  ])('fails a manifest that adds %s', async (scope) => {
    const manifest = parse(await readFile(MANIFEST_PATH, 'utf8')) as {
      permissions: { scopes: Record<string, unknown> };
    };
    manifest.permissions.scopes[scope] = {};
    const copy = path.join(dir, 'manifest.yml');
    await writeFile(copy, stringify(manifest));
    expect(await forgeScopeProblems(copy)).toEqual([
      `forge/manifest.yml asks for ${scope}; the app reads only (read:* scopes)`,
    ]);
  });
});
