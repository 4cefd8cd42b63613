import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { buildAppSchema, printAppSchema } from './schema.js';

// `npm run schema:emit`: rewrites the committed schema.graphql from the resolvers.
const target = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
await writeFile(target, printAppSchema(await buildAppSchema()));
console.log(`wrote ${target}`);
