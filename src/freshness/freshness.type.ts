import { Field, GraphQLISODateTime, Int, ObjectType, registerEnumType } from 'type-graphql';

import { LiveStatus } from '../rooms/room.mapper.js';
import { SyncKind } from '../db/schema.js';
import { HotReason, SyncMode } from './freshness.types.js';

registerEnumType(SyncMode, {
  name: 'SyncMode',
  description: 'ADAPTIVE: the planner reads where a change is due; CRON: a full sync on SYNC_CRON',
});
registerEnumType(HotReason, {
  name: 'HotReason',
  description: 'Why a room is read more often than full syncs: STARTING, ENDING, LIVE or REPLAYS',
});

@ObjectType({
  description: "What the planner may spend today: WeChat's quota less what is used and the reserve",
})
export class FreshnessBudget {
  @Field(() => String, { description: 'China calendar day (YYYY-MM-DD)' })
  day!: string;

  @Field(() => Int)
  limit!: number;

  @Field(() => Int, {
    description: 'Calls spent today, by this service and, per WeChat, by others',
  })
  used!: number;

  @Field(() => Int, { description: 'Calls kept for admins (QUOTA_RESERVE)' })
  reserve!: number;

  @Field(() => Int, { description: 'limit - used - reserve: what the plan may still spend' })
  left!: number;

  @Field(() => GraphQLISODateTime, {
    description: 'When the day and its quota end (China midnight)',
  })
  endsAt!: Date;
}

@ObjectType({ description: 'How often each kind of read runs now that the budget is shared out' })
export class FreshnessIntervals {
  @Field(() => Int)
  startingSeconds!: number;

  @Field(() => Int)
  endingSeconds!: number;

  @Field(() => Int)
  liveSeconds!: number;

  @Field(() => Int)
  replaysSeconds!: number;

  @Field(() => Int)
  fullSyncSeconds!: number;
}

@ObjectType({ description: 'A read the planner will run' })
export class PlannedRead {
  // The GraphQL enum SyncKind (registered with the sync runs' type): the same kinds.
  @Field(() => SyncKind)
  kind!: SyncKind;

  @Field(() => GraphQLISODateTime)
  at!: Date;

  @Field(() => [Int], { description: 'The rooms it is for (empty for a full sync: it reads all)' })
  roomIds!: number[];

  @Field(() => [Int], { description: 'List pages it reads (0-based); empty for replays' })
  pages!: number[];

  @Field(() => Int, { description: 'WeChat calls it costs' })
  calls!: number;

  @Field(() => String)
  reason!: string;
}

@ObjectType({ description: 'A room read more often than full syncs would read it' })
export class HotRoom {
  @Field(() => Int)
  roomId!: number;

  @Field(() => HotReason)
  reason!: HotReason;

  @Field(() => GraphQLISODateTime, { description: 'When it is next read' })
  dueAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When WeChat last confirmed it' })
  confirmedAt!: Date | null;
}

@ObjectType({ description: 'A status change a read saw' })
export class SeenTransition {
  @Field(() => Int)
  roomId!: number;

  @Field(() => LiveStatus)
  from!: LiveStatus;

  @Field(() => LiveStatus)
  to!: LiveStatus;

  @Field(() => GraphQLISODateTime)
  seenAt!: Date;

  @Field(() => Int, {
    nullable: true,
    description: 'Seconds since WeChat last confirmed the old status: the lag was at most this',
  })
  lagAtMostSeconds!: number | null;

  @Field(() => SyncKind, { description: 'The kind of read that saw it' })
  kind!: SyncKind;
}

@ObjectType({ description: "The adaptive planner's latest plan for this app, and what it saw" })
export class Freshness {
  @Field(() => SyncMode)
  mode!: SyncMode;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'When the plan was made (null: no planner has run for this app yet)',
  })
  plannedAt!: Date | null;

  @Field(() => FreshnessBudget, { nullable: true })
  budget!: FreshnessBudget | null;

  @Field(() => FreshnessIntervals, { nullable: true })
  intervals!: FreshnessIntervals | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  lastFullSyncAt!: Date | null;

  @Field(() => [PlannedRead], { description: 'The next reads, soonest first' })
  next!: PlannedRead[];

  @Field(() => [HotRoom])
  hotRooms!: HotRoom[];

  @Field(() => Int, { description: "Reads today's budget could not pay for when they were due" })
  skippedToday!: number;

  @Field(() => [SeenTransition], { description: 'The last status changes seen, newest first' })
  transitions!: SeenTransition[];
}
