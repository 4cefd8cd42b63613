import { schedule, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

import { classifyError } from '../errors.js';
import type { TokenService } from './token.service.js';

/**
 * Keeps the cached access token fresh ahead of expiry so requests never wait for WeChat. Every
 * instance schedules it; the refresh lock lets one fetch and the others find the cache fresh.
 */
export function scheduleTokenRefreshJob(options: {
  cron: string;
  tokens: TokenService;
  logger: Logger;
}): ScheduledTask {
  const { tokens, logger } = options;
  return schedule(
    options.cron,
    async () => {
      try {
        const outcome = await tokens.refreshIfExpiring();
        logger.debug({ outcome }, 'token refresh tick');
      } catch (error) {
        const failure = classifyError(error);
        logger.error(
          { code: failure.code, errcode: failure.errcode, err: failure.message },
          'scheduled token refresh failed',
        );
      }
    },
    { name: 'refresh-token', noOverlap: true },
  );
}
