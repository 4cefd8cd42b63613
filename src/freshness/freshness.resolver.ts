import { Authorized, Ctx, Query, Resolver } from 'type-graphql';

import type { GraphQLContext } from '../context.js';
import { freshnessView } from './freshness.mapper.js';
import { Freshness } from './freshness.type.js';

@Resolver()
export class FreshnessResolver {
  @Authorized()
  @Query(() => Freshness, {
    description:
      "Admin: the sync mode, today's budget, the planner's next reads, the rooms it watches and the last status changes it saw",
  })
  async freshness(@Ctx() ctx: GraphQLContext): Promise<Freshness> {
    return freshnessView(await ctx.services.freshness.state());
  }
}
