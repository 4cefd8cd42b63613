/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** WeChat's live_status: 101 LIVE, 102 NOT_STARTED, 103 ENDED, 104 BANNED, 105 PAUSED, 106 ABNORMAL, 107 EXPIRED */
export type LiveStatus =
  | 'ABNORMAL'
  | 'BANNED'
  | 'ENDED'
  | 'EXPIRED'
  | 'LIVE'
  | 'NOT_STARTED'
  | 'PAUSED';

export type RoomCardFragment = { roomId: number, name: string, coverImg: string, shareImg: string, liveStatus: LiveStatus, startTime: string, endTime: string, anchorName: string, anchorImg: string | null, pinned: boolean };

export type RoomDetailFragment = { roomId: number, name: string, coverImg: string, shareImg: string, liveStatus: LiveStatus, startTime: string, endTime: string, anchorName: string, anchorImg: string | null, pinned: boolean, goods: Array<{ goodsId: number, name: string, coverImg: string, url: string, price: number, price2: number, priceType: number }>, replays: Array<{ mediaUrl: string, createTime: string | null, expireTime: string | null }> };

export type RoomQueryVariables = Exact<{
  roomId: number;
}>;


export type RoomQuery = { room: { roomId: number, name: string, coverImg: string, shareImg: string, liveStatus: LiveStatus, startTime: string, endTime: string, anchorName: string, anchorImg: string | null, pinned: boolean, goods: Array<{ goodsId: number, name: string, coverImg: string, url: string, price: number, price2: number, priceType: number }>, replays: Array<{ mediaUrl: string, createTime: string | null, expireTime: string | null }> } | null };

export type RoomsQueryVariables = Exact<{
  page?: number | null | undefined;
  pageSize?: number | null | undefined;
  status?: Array<LiveStatus> | LiveStatus | null | undefined;
}>;


export type RoomsQuery = { rooms: { totalCount: number, page: number, pageSize: number, items: Array<{ roomId: number, name: string, coverImg: string, shareImg: string, liveStatus: LiveStatus, startTime: string, endTime: string, anchorName: string, anchorImg: string | null, pinned: boolean, goods: Array<{ goodsId: number, name: string, coverImg: string, url: string, price: number, price2: number, priceType: number }>, replays: Array<{ mediaUrl: string, createTime: string | null, expireTime: string | null }> }> } };

export type RoomCardsQueryVariables = Exact<{
  page?: number | null | undefined;
  pageSize?: number | null | undefined;
  status?: Array<LiveStatus> | LiveStatus | null | undefined;
}>;


export type RoomCardsQuery = { rooms: { totalCount: number, page: number, pageSize: number, items: Array<{ roomId: number, name: string, coverImg: string, shareImg: string, liveStatus: LiveStatus, startTime: string, endTime: string, anchorName: string, anchorImg: string | null, pinned: boolean }> } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const RoomCardFragmentDoc = new TypedDocumentString(`
    fragment RoomCard on Room {
  roomId
  name
  coverImg
  shareImg
  liveStatus
  startTime
  endTime
  anchorName
  anchorImg
  pinned
}
    `, {"fragmentName":"RoomCard"}) as unknown as TypedDocumentString<RoomCardFragment, unknown>;
export const RoomDetailFragmentDoc = new TypedDocumentString(`
    fragment RoomDetail on Room {
  ...RoomCard
  goods {
    goodsId
    name
    coverImg
    url
    price
    price2
    priceType
  }
  replays {
    mediaUrl
    createTime
    expireTime
  }
}
    fragment RoomCard on Room {
  roomId
  name
  coverImg
  shareImg
  liveStatus
  startTime
  endTime
  anchorName
  anchorImg
  pinned
}`, {"fragmentName":"RoomDetail"}) as unknown as TypedDocumentString<RoomDetailFragment, unknown>;
export const RoomDocument = new TypedDocumentString(`
    query Room($roomId: Int!) {
  room(roomId: $roomId) {
    ...RoomDetail
  }
}
    fragment RoomCard on Room {
  roomId
  name
  coverImg
  shareImg
  liveStatus
  startTime
  endTime
  anchorName
  anchorImg
  pinned
}
fragment RoomDetail on Room {
  ...RoomCard
  goods {
    goodsId
    name
    coverImg
    url
    price
    price2
    priceType
  }
  replays {
    mediaUrl
    createTime
    expireTime
  }
}`) as unknown as TypedDocumentString<RoomQuery, RoomQueryVariables>;
export const RoomsDocument = new TypedDocumentString(`
    query Rooms($page: Int, $pageSize: Int, $status: [LiveStatus!]) {
  rooms(page: $page, pageSize: $pageSize, status: $status) {
    totalCount
    page
    pageSize
    items {
      ...RoomDetail
    }
  }
}
    fragment RoomCard on Room {
  roomId
  name
  coverImg
  shareImg
  liveStatus
  startTime
  endTime
  anchorName
  anchorImg
  pinned
}
fragment RoomDetail on Room {
  ...RoomCard
  goods {
    goodsId
    name
    coverImg
    url
    price
    price2
    priceType
  }
  replays {
    mediaUrl
    createTime
    expireTime
  }
}`) as unknown as TypedDocumentString<RoomsQuery, RoomsQueryVariables>;
export const RoomCardsDocument = new TypedDocumentString(`
    query RoomCards($page: Int, $pageSize: Int, $status: [LiveStatus!]) {
  rooms(page: $page, pageSize: $pageSize, status: $status) {
    totalCount
    page
    pageSize
    items {
      ...RoomCard
    }
  }
}
    fragment RoomCard on Room {
  roomId
  name
  coverImg
  shareImg
  liveStatus
  startTime
  endTime
  anchorName
  anchorImg
  pinned
}`) as unknown as TypedDocumentString<RoomCardsQuery, RoomCardsQueryVariables>;