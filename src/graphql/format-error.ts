import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';

import { classifyError } from '../errors.js';

// Codes Apollo itself assigns (parse, validation, bad variables): already safe to show.
const MAX_MESSAGE_LENGTH = 500;
const APOLLO_CODES = new Set<string>(Object.values(ApolloServerErrorCode));

/**
 * One place decides what a client sees of a failure: known failures keep their stable code (and
 * WeChat's errcode); anything else is logged and masked, so no SQL, stack or secret leaks out.
 */
export function createFormatError() {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (
      typeof code === 'string' &&
      APOLLO_CODES.has(code) &&
      code !== ApolloServerErrorCode.INTERNAL_SERVER_ERROR
    ) {
      return {
        // graphql-js quotes a bad variable's whole value (twice): never echo 100 KB back.
        message:
          formatted.message.length > MAX_MESSAGE_LENGTH
            ? `${formatted.message.slice(0, MAX_MESSAGE_LENGTH)}…`
            : formatted.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code },
      };
    }
    // Unexpected errors are logged, with the request id, by the observability plugin.
    const classified = classifyError(unwrapResolverError(error));
    return {
      message: classified.safeToShow ? classified.message : 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: {
        code: classified.code,
        ...(classified.errcode === undefined ? {} : { errcode: classified.errcode }),
      },
    };
  };
}
