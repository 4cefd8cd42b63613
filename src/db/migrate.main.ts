import { loadDatabaseUrl } from '../config.js';
import { migrateDatabase } from './migrate.js';

// `npm run db:migrate`: needs only DATABASE_URL, not the WeChat or admin settings.
const databaseUrl = loadDatabaseUrl();
await migrateDatabase(databaseUrl);
console.log(`Migrations applied to ${new URL(databaseUrl).pathname.slice(1)}`);
