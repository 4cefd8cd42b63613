import { Authorized, Ctx, Query, Resolver } from 'type-graphql';

import type { GraphQLContext } from '../context.js';
import { Quota } from './quota.type.js';

@Resolver()
export class QuotaResolver {
  @Authorized()
  @Query(() => Quota, { description: "Admin: today's getliveinfo calls and what is left" })
  async quota(@Ctx() ctx: GraphQLContext): Promise<Quota> {
    const snapshot = await ctx.services.quota.snapshot();
    return {
      date: snapshot.day,
      used: snapshot.used,
      limit: snapshot.limit,
      remaining: snapshot.remaining,
    };
  }
}
