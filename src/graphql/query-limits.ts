import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, Lexer, Source, TokenKind, parse, type ValidationRule } from 'graphql';

/** The bounds every operation stays within (the README's limits quote them). */
export const QUERY_LIMITS = {
  maxDepth: 8,
  maxCost: 3_000,
  maxAliases: 15,
  maxDirectives: 10,
  maxTokens: 2_000,
} as const;

export interface QueryLimits<Context extends BaseContext> {
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin<Context>[];
}

/**
 * Depth, cost, aliases, directives and tokens are bounded before any resolver runs, so an abusive
 * query costs no database or WeChat work. Every refusal is the client's fault: HTTP 400 with
 * `GRAPHQL_VALIDATION_FAILED`.
 */
export function createQueryLimits<Context extends BaseContext>(options: {
  blockFieldSuggestion: boolean;
}): QueryLimits<Context> {
  const armor = new ApolloArmor({
    maxDepth: { n: QUERY_LIMITS.maxDepth, ignoreIntrospection: true },
    costLimit: { maxCost: QUERY_LIMITS.maxCost, ignoreIntrospection: true },
    maxAliases: { n: QUERY_LIMITS.maxAliases },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives },
    // graphql-armor's own token limit throws from a parse hook, which Apollo answers with HTTP 500
    // (and it reports every other unexpected error as a validation failure): ours answers 400.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: options.blockFieldSuggestion },
  }).protect();
  return {
    validationRules: armor.validationRules,
    plugins: [
      // Armor's plugins never read the context; they are typed for the base one (and for Apollo's
      // CommonJS build).
      ...(armor.plugins as ApolloServerPlugin<Context>[]),
      tokenLimitPlugin<Context>(QUERY_LIMITS.maxTokens),
    ],
  };
}

/** A query refused before it was parsed by Apollo: the client's fault, so HTTP 400. */
class QueryRefusedError extends GraphQLError {
  constructor(message: string) {
    super(message, {
      extensions: {
        code: ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
        http: { status: 400 },
      },
    });
  }
}

/**
 * Refuses a document over `maxTokens` tokens while parsing it, so a huge query costs no more than
 * that. A syntax error is refused the same way (it was answered so with graphql-armor's limit).
 */
export function tokenLimitPlugin<Context extends BaseContext>(
  maxTokens: number,
): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async parsingDidStart({ source }) {
          const refusal = refusalOf(source, maxTokens);
          if (refusal) throw new QueryRefusedError(refusal);
        },
      };
    },
    // Apollo takes an error thrown from a parse hook for a crash (HTTP 500) and then calls this
    // hook; an error thrown here is what the client gets, with its own HTTP status.
    async unexpectedErrorProcessingRequest({ error }) {
      if (error instanceof QueryRefusedError) throw error;
    },
  };
}

/** Why the document is refused (too many tokens, or a syntax error), or undefined. */
function refusalOf(source: string, maxTokens: number): string | undefined {
  try {
    parse(source, { maxLexicalTokens: maxTokens, noLocation: true });
    return undefined;
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    if (countTokens(source, maxTokens + 1) > maxTokens) {
      return `Syntax Error: Token limit of ${maxTokens} exceeded.`;
    }
    // With the excerpt that points at the error, as clients have been shown it.
    return error.toString();
  }
}

/** Tokens in the document, counting up to `cap` and stopping at a lexical error. */
function countTokens(source: string, cap: number): number {
  const lexer = new Lexer(new Source(source));
  let count = 0;
  try {
    while (count < cap && lexer.advance().kind !== TokenKind.EOF) count += 1;
  } catch {
    // A lexical error: the document is refused for it, whatever came before.
  }
  return count;
}
