import type { RedisClient } from '../redis/client.js';
import type { WechatRoom } from '../wechat/wechat.schemas.js';
import { readListPositions, updateListPositions } from './list-positions.store.js';
import type { FetchRoomPage } from './room-list.reader.js';
import { widenedWindows, windowsFor, type ReadWindow } from './targeted-pages.js';

export interface TargetedRead {
  /** Every room on the rows read, wanted or not, by room id. */
  rooms: Map<number, WechatRoom>;
  /** Wanted rooms found neither where they were nor in the rows around. */
  missing: number[];
  totalSeen: number | null;
  knownTotal: number | null;
  /** The list moved (rooms came or went) or a wanted room could not be found. */
  needsFullSync: boolean;
  /** Stores where the rooms read sit now; call once what was read is applied. */
  rememberPositions(): Promise<void>;
}

/**
 * Reads the rows around the wanted rooms, where the last full read placed them. WeChat lists newest
 * start first, so a room created since pushes every older room down a row and a deleted one pulls
 * them up: each page tells the total, and a wanted room not where it was is looked for within that
 * drift (at most a couple more calls). A room still not found, or one the last full read did not
 * place, is reported missing. A page that fails fails the read: nothing is applied.
 */
export async function readTargetedRooms(options: {
  redis: RedisClient;
  appId: string;
  roomIds: readonly number[];
  fetchPage: FetchRoomPage;
}): Promise<TargetedRead> {
  const { redis, appId, roomIds, fetchPage } = options;
  const known = await readListPositions(redis, appId, roomIds);
  const rooms = new Map<number, WechatRoom>();
  const offsets = new Map<number, number>();
  let totalSeen: number | null = null;

  async function read(windows: readonly ReadWindow[]): Promise<void> {
    for (const window of windows) {
      const page = await fetchPage(window.start, window.limit);
      if (page.total !== null) totalSeen = page.total;
      page.rooms.forEach((room, index) => {
        rooms.set(room.roomid, room);
        offsets.set(room.roomid, window.start + index);
      });
    }
  }

  const placed = known ? roomIds.filter((roomId) => known.positions.has(roomId)) : [];
  const first = known
    ? windowsFor(
        placed.map((id) => known.positions.get(id)!),
        known.pageRows,
      )
    : [];
  await read(first);
  const notFound = () => placed.filter((roomId) => !rooms.has(roomId));
  if (known && notFound().length > 0) {
    const more = widenedWindows({
      missingOffsets: notFound().map((roomId) => known.positions.get(roomId)!),
      read: first,
      drift: (totalSeen ?? known.total) - known.total,
      pageRows: known.pageRows,
    });
    if (more) await read(more);
  }
  const missing = roomIds.filter((roomId) => !rooms.has(roomId));
  const knownTotal = known?.total ?? null;
  return {
    rooms,
    missing,
    totalSeen,
    knownTotal,
    needsFullSync: missing.length > 0 || (totalSeen !== null && totalSeen !== knownTotal),
    rememberPositions: () => updateListPositions(redis, appId, offsets),
  };
}
