import 'reflect-metadata';

import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, type AuthChecker } from 'type-graphql';

import type { GraphQLContext } from '../context.js';
import { AppError } from '../errors.js';
import { QuotaResolver } from '../quota/quota.resolver.js';
import { RoomResolver } from '../rooms/room.resolver.js';
import { SyncResolver } from '../sync/sync.resolver.js';

/** `@Authorized()` operations are for admins: fail before the resolver runs, so nothing is done. */
const adminOnly: AuthChecker<GraphQLContext> = ({ context }) => {
  if (context.auth === 'locked-out') {
    throw new AppError(
      'RATE_LIMITED',
      'Too many failed admin attempts from this client; try again later',
    );
  }
  if (context.auth === 'unavailable') {
    throw new AppError(
      'UPSTREAM_UNAVAILABLE',
      'Redis is unavailable; admin operations are refused until it answers again',
    );
  }
  if (context.auth !== 'admin') {
    throw new AppError(
      'UNAUTHENTICATED',
      'This operation needs the header Authorization: Bearer <ADMIN_TOKEN>',
    );
  }
  return true;
};

export async function buildAppSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [RoomResolver, SyncResolver, QuotaResolver],
    authChecker: adminOnly,
    validate: false,
  });
}

/** The SDL committed as `schema.graphql`: sorted, so it changes only when the API does. */
export function printAppSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
