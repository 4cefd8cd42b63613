import type { RoomListPage } from '../wechat/wechat.client.js';
import type { WechatRoom } from '../wechat/wechat.schemas.js';

/** Rows asked for per page. WeChat may answer fewer (observed: 50), so paging follows what it sends. */
export const LIST_PAGE_LIMIT = 100;
/** Full re-reads allowed when the list moves under a sync, before it gives up. */
export const MAX_LIST_PASSES = 3;

export type FetchRoomPage = (start: number, limit: number) => Promise<RoomListPage>;

export interface FullRoomList {
  /** Every room seen, deduplicated by room id (the latest copy read wins). */
  rooms: Map<number, WechatRoom>;
  /** WeChat's total at the end of the last pass. */
  total: number;
  passes: number;
  /** True when every pass saw the list move and the set may still be incomplete. */
  complete: boolean;
}

/**
 * Reads the whole room list. Rooms are sorted newest first, so a room created (or deleted) during
 * the read shifts every offset after it. A pass whose total changed, or that saw fewer distinct
 * rooms than the total, is followed by another full pass (bounded), so that no room goes missing
 * and is archived for it.
 */
export async function readFullRoomList(
  fetchPage: FetchRoomPage,
  options: { pageLimit?: number; maxPasses?: number } = {},
): Promise<FullRoomList> {
  const pageLimit = options.pageLimit ?? LIST_PAGE_LIMIT;
  const maxPasses = options.maxPasses ?? MAX_LIST_PASSES;
  const rooms = new Map<number, WechatRoom>();
  let total = 0;

  for (let pass = 1; pass <= maxPasses; pass += 1) {
    const seenThisPass = new Set<number>();
    let start = 0;
    let moved = false;
    let passTotal: number | null = null;
    let fullPageRows = 0;

    for (;;) {
      const page = await fetchPage(start, pageLimit);
      if (page.total === null) {
        // errcode 1 / 9410000: nothing (more) to read. At offset 0 that means no rooms at all.
        if (passTotal === null) passTotal = 0;
        else if (start < passTotal) moved = true;
        break;
      }
      if (passTotal !== null && page.total !== passTotal) moved = true;
      passTotal = page.total;
      for (const room of page.rooms) {
        rooms.set(room.roomid, room);
        seenThisPass.add(room.roomid);
      }
      start += page.rooms.length;
      // A page shorter than the fullest one so far is the last; so is an offset at the total.
      const shortPage = page.rooms.length < fullPageRows;
      fullPageRows = Math.max(fullPageRows, page.rooms.length);
      if (page.rooms.length === 0 || start >= page.total || shortPage) break;
    }

    total = passTotal ?? 0;
    if (!moved && seenThisPass.size >= total) {
      return { rooms, total, passes: pass, complete: true };
    }
    if (pass === maxPasses) return { rooms, total, passes: pass, complete: false };
  }
  return { rooms, total, passes: maxPasses, complete: false };
}
