import { defineConfig } from 'drizzle-kit';

// Only `drizzle-kit generate` uses this file; it needs the schema, not a live database.
export default defineConfig({
  dialect: 'mysql',
  schema: './src/db/schema.ts',
  out: './drizzle',
  casing: 'snake_case',
});
