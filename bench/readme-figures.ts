import { readFile, writeFile } from 'node:fs/promises';

/** Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->` in README.md. */
export async function updateReadmeFigures(name: string, markdown: string): Promise<boolean> {
  const readme = await readFile('README.md', 'utf8');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  if (!readme.includes(start) || !readme.includes(end)) return false;
  const updated = `${readme.slice(0, readme.indexOf(start) + start.length)}\n${markdown}\n${readme.slice(readme.indexOf(end))}`;
  await writeFile('README.md', updated);
  return true;
}
