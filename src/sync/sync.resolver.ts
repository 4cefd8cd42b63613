import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';

import type { GraphQLContext } from '../context.js';
import type { SyncRunRow } from '../db/schema.js';
import { AppError } from '../errors.js';
import { assertRoomId } from '../rooms/room.args.js';
import type { RoomView } from '../rooms/room.mapper.js';
import { roomViewFromRow } from '../rooms/room.mapper.js';
import { Room } from '../rooms/room.type.js';
import { SyncReport, SyncRun } from './sync.type.js';

const MAX_RUNS = 200;

@Resolver()
export class SyncResolver {
  @Authorized()
  @Mutation(() => SyncReport, { description: 'Admin: mirror every WeChat room now' })
  async syncRooms(@Ctx() ctx: GraphQLContext): Promise<SyncReport> {
    const report = await ctx.services.sync.syncRooms('admin');
    return {
      runId: report.runId,
      added: report.roomsAdded,
      updated: report.roomsUpdated,
      archived: report.roomsArchived,
      restored: report.roomsRestored,
      replaysFetched: report.replaysFetched,
      replaysDeferred: report.replaysDeferred,
      apiCalls: report.apiCalls,
      listCalls: report.listCalls,
      replayCalls: report.replayCalls,
      tokenCalls: report.tokenCalls,
      durationMs: report.durationMs,
    };
  }

  @Authorized()
  @Mutation(() => Room, { description: "Admin: fetch one room's replays from WeChat now" })
  async syncReplay(
    @Arg('roomId', () => Int) roomId: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<RoomView> {
    assertRoomId(roomId);
    const row = await ctx.services.sync.syncReplay(roomId);
    return roomViewFromRow(row, ctx.services.defaultAnchorImg);
  }

  @Authorized()
  @Query(() => [SyncRun], { description: 'Admin: the latest sync runs, newest first' })
  async syncRuns(
    @Arg('limit', () => Int, { nullable: true, defaultValue: 20 }) limit: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<SyncRunRow[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RUNS) {
      throw new AppError(
        'BAD_USER_INPUT',
        `limit must be between 1 and ${MAX_RUNS} (got ${limit})`,
      );
    }
    return ctx.services.sync.listRuns(limit);
  }
}
