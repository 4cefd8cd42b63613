/** The operations tests send, written as a mini-program or an admin would. */

export const ROOM_FIELDS = `
  roomId name coverImg shareImg liveStatus startTime endTime anchorName anchorImg pinned
  goods { goodsId name coverImg url price price2 priceType }
  replays { mediaUrl createTime expireTime }
`;

export const ROOMS = `query Rooms($page: Int, $pageSize: Int, $status: [LiveStatus!]) {
  rooms(page: $page, pageSize: $pageSize, status: $status) { totalCount page pageSize items { ${ROOM_FIELDS} } }
}`;

export const ROOM = `query Room($roomId: Int!) { room(roomId: $roomId) { ${ROOM_FIELDS} } }`;

export const SYNC_ROOMS = `mutation { syncRooms {
  runId roomsAdded roomsUpdated roomsArchived roomsRestored replaysFetched replaysDeferred apiCalls listCalls replayCalls tokenCalls durationMs
} }`;

export const SYNC_REPLAY = `mutation SyncReplay($roomId: Int!) { syncReplay(roomId: $roomId) { ${ROOM_FIELDS} } }`;

export const PIN_ROOM = `mutation Pin($roomId: Int!, $pinned: Boolean!) { pinRoom(roomId: $roomId, pinned: $pinned) { roomId pinned } }`;

export const QUOTA = `query { quota { date used limit remaining } }`;

export const SYNC_RUNS = `query Runs($limit: Int) { syncRuns(limit: $limit) {
  id trigger outcome startedAt finishedAt roomsAdded roomsUpdated roomsArchived roomsRestored replaysFetched
  listCalls replayCalls tokenCalls errorCode wechatErrcode errorMessage
} }`;

export interface RoomJson {
  roomId: number;
  name: string;
  liveStatus: string;
  startTime: string;
  endTime: string;
  anchorName: string;
  anchorImg: string | null;
  pinned: boolean;
  goods: Array<{ goodsId: number; name: string; price: number; price2: number; priceType: number }>;
  replays: Array<{ mediaUrl: string; createTime: string; expireTime: string | null }>;
}

export interface SyncReportJson {
  runId: number;
  roomsAdded: number;
  roomsUpdated: number;
  roomsArchived: number;
  roomsRestored: number;
  replaysFetched: number;
  replaysDeferred: number;
  apiCalls: number;
  listCalls: number;
  replayCalls: number;
  tokenCalls: number;
  durationMs: number;
}

export interface SyncRunJson {
  id: number;
  trigger: string;
  outcome: string;
  roomsAdded: number;
  errorCode: string | null;
  wechatErrcode: number | null;
  errorMessage: string | null;
  listCalls: number;
}
