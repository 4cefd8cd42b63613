import { createApp } from './app.js';
import { ConfigError, loadConfig, loadDotEnvFile } from './config.js';
import { createLogger } from './logger.js';

loadDotEnvFile();

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger({
  level: config.logLevel,
  pretty: config.env === 'development' && process.stdout.isTTY,
});
const app = await createApp(config, { logger });
const url = await app.listen();
logger.info(
  { url, appid: config.wechat.appid, syncCron: config.scheduler.syncCron },
  `wxlive listening at ${url}`,
);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  try {
    await app.close();
    process.exit(0);
  } catch (error) {
    logger.error({ err: error }, 'error during shutdown');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
