import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { BROWSER_MODULES } from '../src/http/browser-modules.js';
import { CONNECT_ALL_JS } from '../src/http/pages-router.js';
import { PROJECT_ROOT, VIEWS_DIR } from '../src/paths.js';

/**
 * Lays out forge/static/<resource>/ for `forge deploy`: the same pages and assets the Connect app serves,
 * with Connect's all.js swapped for the bundled Forge bridge adapter; and forge/src/generated/, the Forge
 * functions bundled with @forge/api. Output is rebuilt, never committed.
 */
const FORGE_DIR = path.join(PROJECT_ROOT, 'forge');
const RESOURCES = [
  { dir: 'admin', page: 'admin.html' },
  { dir: 'user', page: 'my-calendars.html' },
] as const;
const BRIDGE_FILE = 'forge-bridge.js';
/** Function sources (forge/src) → bundles under forge/src/generated, named as manifest.yml's handlers. */
const FUNCTIONS = ['report-personal-data'] as const;
export const FUNCTIONS_DIR = path.join('src', 'generated');

/**
 * Bundles each Forge function with @forge/api into one CommonJS file (esbuild's ESM output would turn
 * @forge/api's `require('fs')` into a throwing dynamic require); a package.json beside them says CommonJS,
 * since the project's own says "module".
 */
export async function buildForgeFunctions(appDir = FORGE_DIR): Promise<string[]> {
  const outDir = path.join(appDir, FUNCTIONS_DIR);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  for (const name of FUNCTIONS) {
    await build({
      entryPoints: [path.join(FORGE_DIR, 'src', `${name}.ts`)],
      outfile: path.join(outDir, `${name}.js`),
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node24',
      legalComments: 'none',
      logLevel: 'warning',
    });
  }
  return FUNCTIONS.map((name) => path.join(FUNCTIONS_DIR, `${name}.js`));
}

/** Builds into `appDir`/static (the Forge app folder by default; tests build into a copy of their own). */
export async function buildForgeResources(appDir = FORGE_DIR): Promise<string[]> {
  const staticDir = path.join(appDir, 'static');
  await rm(staticDir, { recursive: true, force: true });
  const bridge = await build({
    entryPoints: [path.join(FORGE_DIR, 'src', 'platform-forge.js')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
  });
  const bridgeCode = bridge.outputFiles[0]?.contents;
  if (!bridgeCode) throw new Error('esbuild produced no bridge bundle');
  const written: string[] = [];
  for (const resource of RESOURCES) {
    const target = path.join(staticDir, resource.dir);
    await mkdir(target, { recursive: true });
    await cp(path.join(VIEWS_DIR, 'assets'), path.join(target, 'assets'), { recursive: true });
    for (const [file, source] of Object.entries(BROWSER_MODULES))
      await writeFile(path.join(target, 'assets', file), source);
    await writeFile(path.join(target, BRIDGE_FILE), bridgeCode);
    const html = await readFile(path.join(VIEWS_DIR, resource.page), 'utf8');
    const connectScript = `<script src="${CONNECT_ALL_JS}"></script>`;
    if (!html.includes(connectScript)) throw new Error(`${resource.page} no longer loads ${CONNECT_ALL_JS}`);
    await writeFile(
      path.join(target, 'index.html'),
      html.replace(connectScript, `<script src="./${BRIDGE_FILE}"></script>`),
    );
    written.push(...(await readdir(target)).map((file) => path.join(resource.dir, file)));
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = await buildForgeResources();
  const functions = await buildForgeFunctions();
  process.stdout.write(
    `forge/static and forge/${FUNCTIONS_DIR} ready for \`forge deploy\` (${files.length} entries, ${functions.length} function(s))\n`,
  );
}
