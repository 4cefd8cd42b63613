import { Arg, Args, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';

import type { GraphQLContext } from '../context.js';
import { RoomsArgs, assertRoomId, assertValidPaging } from './room.args.js';
import type { RoomView } from './room.mapper.js';
import type { RoomPageView } from './room.service.js';
import { Room, RoomPage } from './room.type.js';

@Resolver(() => Room)
export class RoomResolver {
  @Query(() => RoomPage, {
    description: 'Visible rooms: pinned first, then newest start time, then room id (newest first)',
  })
  async rooms(
    @Args(() => RoomsArgs) args: RoomsArgs,
    @Ctx() ctx: GraphQLContext,
  ): Promise<RoomPageView> {
    assertValidPaging(args);
    return ctx.services.rooms.listRooms(args);
  }

  @Query(() => Room, { nullable: true, description: 'One room; null when unknown or archived' })
  async room(
    @Arg('roomId', () => Int) roomId: number,
    @Ctx() ctx: GraphQLContext,
  ): Promise<RoomView | null> {
    assertRoomId(roomId);
    return ctx.services.rooms.getRoom(roomId);
  }

  @Authorized()
  @Mutation(() => Room, { description: 'Admin: pin a room to the top of the list, or unpin it' })
  async pinRoom(
    @Arg('roomId', () => Int) roomId: number,
    @Arg('pinned', () => Boolean) pinned: boolean,
    @Ctx() ctx: GraphQLContext,
  ): Promise<RoomView> {
    assertRoomId(roomId);
    return ctx.services.rooms.pinRoom(roomId, pinned);
  }
}
