import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';

import type { GraphQLContext } from '../context.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import { observabilityPlugin } from '../observability/observability.plugin.js';
import { createFormatError } from './format-error.js';
import { createQueryLimits } from './query-limits.js';
import { buildAppSchema } from './schema.js';

export interface ApolloServerOptions {
  /** Off in production unless a setting turns it on; field suggestions follow it. */
  introspection: boolean;
  /** Apollo Sandbox on GET /graphql from a browser. */
  sandbox: boolean;
  logger: Logger;
  metrics: Metrics;
}

/**
 * Apollo with our schema, limits and error masking, started. Batched requests are refused: one
 * HTTP request, one operation, one cache entry.
 */
export async function startApolloServer(
  options: ApolloServerOptions,
): Promise<ApolloServer<GraphQLContext>> {
  const { introspection, sandbox, logger, metrics } = options;
  const limits = createQueryLimits<GraphQLContext>({ blockFieldSuggestion: !introspection });
  const apollo = new ApolloServer<GraphQLContext>({
    schema: await buildAppSchema(),
    formatError: createFormatError(),
    introspection,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    validationRules: limits.validationRules,
    plugins: [
      ...limits.plugins,
      observabilityPlugin(logger, metrics),
      sandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();
  return apollo;
}
