import { readFile, writeFile } from 'node:fs/promises';

import { format, resolveConfig } from 'prettier';

/**
 * Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->` in README.md, formatted
 * as the rest of the repository (so `npm run format:check` stays green after a benchmark).
 */
export async function updateReadmeFigures(name: string, markdown: string): Promise<boolean> {
  const readme = await readFile('README.md', 'utf8');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  if (!readme.includes(start) || !readme.includes(end)) return false;
  const updated = `${readme.slice(0, readme.indexOf(start) + start.length)}\n${markdown}\n${readme.slice(readme.indexOf(end))}`;
  const options = (await resolveConfig('README.md')) ?? {};
  await writeFile('README.md', await format(updated, { ...options, filepath: 'README.md' }));
  return true;
}
