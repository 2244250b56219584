import { existsSync } from 'node:fs';
import path from 'node:path';

/** The folder holding package.json, whether running from src/ (tsx) or dist/src/ (compiled). */
function findProjectRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const PROJECT_ROOT = findProjectRoot(import.meta.dirname);
export const DESCRIPTOR_PATH = path.join(PROJECT_ROOT, 'atlassian-connect.json');
const COMPILED = import.meta.dirname.split(path.sep).includes('dist');
/** Migrations run from source under tsx and from dist/migrations once compiled. */
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, COMPILED ? 'dist' : '', 'migrations');
export const VIEWS_DIR = path.join(PROJECT_ROOT, 'views');
