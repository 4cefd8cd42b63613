#!/usr/bin/env node
/**
 * The `wxlive` admin CLI (package.json "bin"). Plain JavaScript so Node runs it as is.
 *
 * It runs the compiled CLI, dist/cli/wxlive.main.js, when that is at least as new as every file
 * under src/ (a built checkout, or a deployment that ships dist/ without src/). Otherwise, in a
 * development checkout without a build or with edits made since the last one, it runs the
 * TypeScript source in this same process through tsx's loader: the admin always gets the code they
 * are looking at, and no second process is needed, so the terminal (progress bar), signals and the
 * exit code stay the CLI's own.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const built = new URL('dist/cli/wxlive.main.js', root);
const source = new URL('src/cli/wxlive.main.ts', root);

/** Newest modification time of the compiled sources under a folder (tests are not compiled). */
function newestSourceMtimeMs(folder) {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const child = new URL(entry.isDirectory() ? `${entry.name}/` : entry.name, folder);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtimeMs(child));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(child).mtimeMs);
  }
  return newest;
}

const hasBuild = existsSync(built);
const hasSource = existsSync(source);
const buildIsCurrent =
  hasBuild && (!hasSource || statSync(built).mtimeMs >= newestSourceMtimeMs(new URL('src/', root)));

/** tsx's in-process loader, or null when tsx is not installed (production installs omit it). */
async function tsxRegister() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND') return null;
    throw error;
  }
}

if (buildIsCurrent) {
  await import(built.href);
} else {
  const register = hasSource ? await tsxRegister() : null;
  if (register) {
    // The project's tsconfig, wherever the command is run from (it enables legacy decorators).
    register({ tsconfig: fileURLToPath(new URL('tsconfig.json', root)) });
    await import(source.href);
  } else if (hasBuild) {
    // Older than the sources, but the only runnable form: tsx is not installed.
    await import(built.href);
  } else {
    process.stderr.write(
      'wxlive: NOT_BUILT: dist/cli/wxlive.main.js is missing and tsx is not installed; run "npm run build" (or "npm install" for development)\n',
    );
    process.exitCode = 1;
  }
}
