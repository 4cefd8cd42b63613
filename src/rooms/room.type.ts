import { Field, GraphQLISODateTime, Int, ObjectType, registerEnumType } from 'type-graphql';

import { Paginated } from '../graphql/paginated.type.js';
import { LiveStatus } from './room.mapper.js';

registerEnumType(LiveStatus, {
  name: 'LiveStatus',
  description:
    "WeChat's live_status: 101 LIVE, 102 NOT_STARTED, 103 ENDED, 104 BANNED, 105 PAUSED, 106 ABNORMAL, 107 EXPIRED",
});

@ObjectType({ description: 'A product shown in a live room', simpleResolvers: true })
export class Goods {
  @Field(() => Int)
  goodsId!: number;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  coverImg!: string;

  @Field(() => String, { description: 'Mini-program page path of the product' })
  url!: string;

  @Field(() => Int, { description: 'In fen (1/100 yuan), as WeChat gives it' })
  price!: number;

  @Field(() => Int, { description: 'In fen; meaning depends on priceType' })
  price2!: number;

  @Field(() => Int, {
    description:
      '1 fixed price (price); 2 range (price to price2); 3 discount (price was, price2 now)',
  })
  priceType!: number;
}

@ObjectType({ description: 'A replay segment of an ended room', simpleResolvers: true })
export class Replay {
  @Field(() => String, { description: 'mp4 or HLS (.m3u8) link' })
  mediaUrl!: string;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'Null when WeChat does not know it',
  })
  createTime!: Date | null;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'Null when WeChat does not know it',
  })
  expireTime!: Date | null;
}

@ObjectType({ description: 'A live-streaming room of the mini-program', simpleResolvers: true })
export class Room {
  @Field(() => Int, { description: "WeChat's room id" })
  roomId!: number;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  coverImg!: string;

  @Field(() => String)
  shareImg!: string;

  @Field(() => LiveStatus)
  liveStatus!: LiveStatus;

  @Field(() => GraphQLISODateTime, { description: 'Planned start' })
  startTime!: Date;

  @Field(() => GraphQLISODateTime, { description: 'Planned end' })
  endTime!: Date;

  @Field(() => String)
  anchorName!: string;

  @Field(() => String, { nullable: true, description: "Anchor avatar, or the service's default" })
  anchorImg!: string | null;

  @Field(() => [Goods])
  goods!: Goods[];

  @Field(() => [Replay])
  replays!: Replay[];

  @Field(() => Boolean, { description: 'Pinned rooms come first' })
  pinned!: boolean;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description:
      'When WeChat last confirmed this room: the later of the last read of this room alone (a targeted refresh, or a sync that wrote it) and the last successful full sync, which lists every room',
  })
  syncedAt!: Date | null;
}

@ObjectType({ description: 'A page of rooms', simpleResolvers: true })
export class RoomPage extends Paginated(Room) {}
