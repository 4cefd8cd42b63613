import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';

import type { GraphQLContext } from '../context.js';
import { classifyError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from './metrics.js';

/**
 * Per operation: one debug log line with the request id, a metrics sample (name, duration, error
 * codes), and a full log entry for any unexpected error (the client only sees a masked one).
 */
export function observabilityPlugin(
  logger: Logger,
  metrics: Metrics,
): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      const log = logger.child({ requestId: contextValue.requestId });
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            if (!classifyError(original).safeToShow && error.extensions?.code === undefined) {
              log.error(
                { err: original, path: error.path },
                'unexpected error in a GraphQL operation',
              );
            }
          }
        },
        async willSendResponse({ operationName, response, errors }) {
          const seconds = (performance.now() - started) / 1000;
          const body = response.body.kind === 'single' ? response.body.singleResult : undefined;
          const errorCodes = (body?.errors ?? errors ?? []).map((error) =>
            String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'),
          );
          const name = operationName ?? 'anonymous';
          metrics.observeGraphQL({ name, seconds, errorCodes });
          log.debug(
            { operation: name, ms: Math.round(seconds * 1000), errors: errorCodes },
            'graphql operation',
          );
        },
      };
    },
  };
}

/**
 * The same log line and metrics sample for a request the response cache answered: it never reaches
 * Apollo, so the plugin above does not see it. Cached answers are error-free by construction.
 */
export function observeCachedAnswer(
  logger: Logger,
  metrics: Metrics,
): (hit: { requestId: string; operationName: string; seconds: number }) => void {
  return ({ requestId, operationName, seconds }) => {
    metrics.observeGraphQL({ name: operationName, seconds, errorCodes: [], cached: true });
    // The hottest path there is: build the log line only when it is written.
    if (!logger.isLevelEnabled('debug')) return;
    logger.debug(
      {
        requestId,
        operation: operationName,
        ms: Math.round(seconds * 1000),
        errors: [],
        cached: true,
      },
      'graphql operation',
    );
  };
}
