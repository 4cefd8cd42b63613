import pLimit from 'p-limit';

import type { RoomListPage } from '../wechat/wechat.client.js';
import type { WechatRoom } from '../wechat/wechat.schemas.js';
import { settleAll } from './settle-all.js';

/** Rows asked for per page. WeChat may answer fewer (observed: 50), so paging follows what it sends. */
export const LIST_PAGE_LIMIT = 100;
/** Full re-reads allowed when the list moves under a sync, before it gives up. */
export const MAX_LIST_PASSES = 3;
/** Rows WeChat returns per full page (observed). A shorter first page is not trusted as the step. */
export const USUAL_PAGE_ROWS = 50;

export type FetchRoomPage = (start: number, limit: number) => Promise<RoomListPage>;

export interface FullRoomList {
  /** The rooms of the last, complete pass, deduplicated by room id (the latest copy read wins). */
  rooms: Map<number, WechatRoom>;
  /** Each room's row offset in the last, complete pass: where a targeted read finds it again. */
  positions: Map<number, number>;
  /** Rows WeChat returned per full page in the last pass (50 when asked for 100). */
  pageRows: number;
  /** WeChat's total at the end of the last pass. */
  total: number;
  passes: number;
  /** False when every pass saw the list move and the set may still be incomplete. */
  complete: boolean;
}

export interface ReadOptions {
  pageLimit?: number;
  maxPasses?: number;
  /** Pages read at once after the first one has told the total and the page size. */
  concurrency?: number;
  /** Called after every page: pages read so far in this pass, pages the pass expects, rooms seen. */
  onPage?: (progress: { pagesRead: number; pagesExpected: number; roomsSeen: number }) => void;
}

interface PassResult {
  total: number;
  pageRows: number;
  positions: Map<number, number>;
  /** The total changed between pages, or a page came back short before the end. */
  moved: boolean;
  seen: Set<number>;
}

/**
 * Reads the whole room list. Rooms are sorted newest first, so a room created (or deleted) during
 * the read shifts every offset after it. A pass whose total changed, or that saw fewer distinct
 * rooms than the total, is followed by another full pass (bounded), so that no room goes missing
 * and is archived for it.
 *
 * The first page tells the total and how many rows WeChat really returns per page (50 when asked
 * for 100); the other pages are then read at those offsets, several at once. Reading in parallel
 * keeps the drift rule: any page whose total differs, or that comes back short, marks the pass moved.
 */
export async function readFullRoomList(
  fetchPage: FetchRoomPage,
  options: ReadOptions = {},
): Promise<FullRoomList> {
  const pageLimit = options.pageLimit ?? LIST_PAGE_LIMIT;
  const maxPasses = options.maxPasses ?? MAX_LIST_PASSES;
  const limit = pLimit(Math.max(1, options.concurrency ?? 1));
  const rooms = new Map<number, WechatRoom>();

  const keep = (page: RoomListPage, start: number, pass: Omit<PassResult, 'total' | 'moved'>) => {
    page.rooms.forEach((room, index) => {
      rooms.set(room.roomid, room);
      pass.seen.add(room.roomid);
      pass.positions.set(room.roomid, start + index);
    });
  };

  async function readPass(): Promise<PassResult> {
    const seen = new Set<number>();
    const positions = new Map<number, number>();
    let pagesRead = 0;
    let pagesExpected = 1;
    const pageDone = () => {
      pagesRead += 1;
      options.onPage?.({ pagesRead, pagesExpected, roomsSeen: rooms.size });
    };
    const first = await fetchPage(0, pageLimit);
    const total = first.total ?? 0;
    const pageRows = first.rooms.length;
    const pass = { seen, positions, pageRows };
    pagesExpected = pageRows > 0 ? Math.ceil(total / pageRows) : 1;
    keep(first, 0, pass);
    pageDone();
    // errcode 1 / 9410000 at offset 0: no rooms at all.
    if (first.total === null) return { ...pass, total: 0, moved: false };
    if (pageRows === 0 || pageRows >= total) return { ...pass, total, moved: pageRows < total };
    // A short first page would make a tiny step and burn the quota on thousands of calls: read again.
    if (pageRows < Math.min(pageLimit, USUAL_PAGE_ROWS)) return { ...pass, total, moved: true };

    const offsets: number[] = [];
    for (let start = pageRows; start < total; start += pageRows) offsets.push(start);
    let moved = false;
    // Once a page has failed the sync, queued pages must not go on calling WeChat.
    let failed = false;
    await settleAll(
      offsets.map((start) =>
        limit(async () => {
          if (failed) return;
          let page: RoomListPage;
          try {
            page = await fetchPage(start, pageLimit);
          } catch (error) {
            failed = true;
            throw error;
          }
          if (page.total !== null) keep(page, start, pass);
          pageDone();
          if (page.total === null) {
            // Nothing at an offset below the total: rooms were removed under us.
            moved = true;
            return;
          }
          const expectedRows = Math.min(pageRows, total - start);
          if (page.total !== total || page.rooms.length < expectedRows) moved = true;
        }),
      ),
    );
    return { ...pass, total, moved };
  }

  let last: PassResult = {
    total: 0,
    moved: true,
    seen: new Set(),
    positions: new Map(),
    pageRows: 0,
  };
  for (let pass = 1; pass <= maxPasses; pass += 1) {
    last = await readPass();
    if (!last.moved && last.seen.size >= last.total) {
      // The complete pass is the truth: a room read in an earlier pass and deleted since is gone.
      const current = pass === 1 ? rooms : new Map([...rooms].filter(([id]) => last.seen.has(id)));
      return {
        rooms: current,
        positions: last.positions,
        pageRows: last.pageRows,
        total: last.total,
        passes: pass,
        complete: true,
      };
    }
  }
  return {
    rooms,
    positions: last.positions,
    pageRows: last.pageRows,
    total: last.total,
    passes: maxPasses,
    complete: false,
  };
}
