import { Field, GraphQLISODateTime, Int, ObjectType, registerEnumType } from 'type-graphql';

import { SyncKind, SyncOutcome, SyncTrigger } from '../db/schema.js';

registerEnumType(SyncOutcome, { name: 'SyncOutcome' });
registerEnumType(SyncTrigger, {
  name: 'SyncTrigger',
  description: 'What started a run: the cron schedule, an admin, the CLI, or the adaptive planner',
});
registerEnumType(SyncKind, {
  name: 'SyncKind',
  description:
    "FULL reads every page; TARGETED only the rows of some rooms; REPLAYS some rooms' replays",
});

@ObjectType({ description: 'What a finished sync did and cost' })
export class SyncReport {
  @Field(() => Int)
  runId!: number;

  @Field(() => Int, { description: 'Rooms new to the database' })
  roomsAdded!: number;

  @Field(() => Int, { description: 'Known rooms whose WeChat fields changed' })
  roomsUpdated!: number;

  @Field(() => Int, { description: 'Rooms WeChat no longer lists, now hidden' })
  roomsArchived!: number;

  @Field(() => Int, { description: 'Archived rooms WeChat lists again' })
  roomsRestored!: number;

  @Field(() => Int, { description: 'Replay segments fetched and stored' })
  replaysFetched!: number;

  @Field(() => Int, { description: 'Ended rooms whose replays wait for a later sync (quota)' })
  replaysDeferred!: number;

  @Field(() => Int, { description: 'WeChat calls spent: list + replay + token' })
  apiCalls!: number;

  @Field(() => Int)
  listCalls!: number;

  @Field(() => Int)
  replayCalls!: number;

  @Field(() => Int)
  tokenCalls!: number;

  @Field(() => Int)
  durationMs!: number;
}

@ObjectType({ description: 'One recorded sync attempt' })
export class SyncRun {
  @Field(() => Int)
  id!: number;

  @Field(() => SyncTrigger)
  trigger!: SyncTrigger;

  @Field(() => SyncKind)
  kind!: SyncKind;

  @Field(() => SyncOutcome)
  outcome!: SyncOutcome;

  @Field(() => GraphQLISODateTime)
  startedAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => Int)
  roomsAdded!: number;

  @Field(() => Int)
  roomsUpdated!: number;

  @Field(() => Int)
  roomsArchived!: number;

  @Field(() => Int)
  roomsRestored!: number;

  @Field(() => Int)
  replaysFetched!: number;

  @Field(() => Int)
  listCalls!: number;

  @Field(() => Int)
  replayCalls!: number;

  @Field(() => Int)
  tokenCalls!: number;

  @Field(() => String, { nullable: true, description: 'Stable error code when the run failed' })
  errorCode!: string | null;

  @Field(() => Int, { nullable: true, description: "WeChat's errcode, when it gave one" })
  wechatErrcode!: number | null;

  @Field(() => String, { nullable: true })
  errorMessage!: string | null;
}
