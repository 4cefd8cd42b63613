import {
  Arg,
  Authorized,
  Ctx,
  FieldResolver,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';

import type { GraphQLContext } from '../context.js';
import type { SyncRunRow } from '../db/schema.js';
import { AppError } from '../errors.js';
import { assertRoomId } from '../rooms/room.args.js';
import type { RoomView } from '../rooms/room.mapper.js';
import { roomViewFromRow } from '../rooms/room.mapper.js';
import { Room } from '../rooms/room.type.js';
import { SyncReport, SyncRun } from './sync.type.js';

const MAX_RUNS = 200;

@Resolver(() => SyncReport)
export class SyncResolver {
  @Authorized()
  @Mutation(() => SyncReport, { description: 'Admin: mirror every WeChat room now' })
  async syncRooms(@Ctx() ctx: GraphQLContext): Promise<SyncReport> {
    return ctx.services.sync.syncRooms('admin');
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

  // The report's first names, kept so clients written against them go on working.
  @FieldResolver(() => Int, {
    description: 'Rooms new to the database',
    deprecationReason: 'Use roomsAdded',
  })
  added(@Root() report: SyncReport): number {
    return report.roomsAdded;
  }

  @FieldResolver(() => Int, {
    description: 'Known rooms whose WeChat fields changed',
    deprecationReason: 'Use roomsUpdated',
  })
  updated(@Root() report: SyncReport): number {
    return report.roomsUpdated;
  }

  @FieldResolver(() => Int, {
    description: 'Rooms WeChat no longer lists, now hidden',
    deprecationReason: 'Use roomsArchived',
  })
  archived(@Root() report: SyncReport): number {
    return report.roomsArchived;
  }

  @FieldResolver(() => Int, {
    description: 'Archived rooms WeChat lists again',
    deprecationReason: 'Use roomsRestored',
  })
  restored(@Root() report: SyncReport): number {
    return report.roomsRestored;
  }
}
