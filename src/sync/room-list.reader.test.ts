import { describe, expect, it } from 'vitest';

import type { WechatRoom } from '../wechat/wechat.schemas.js';
import { wechatRoomSchema } from '../wechat/wechat.schemas.js';
import { readFullRoomList, type FetchRoomPage } from './room-list.reader.js';

const room = (roomid: number): WechatRoom =>
  wechatRoomSchema.parse({
    roomid,
    name: `room ${roomid}`,
    live_status: 103,
    start_time: roomid,
    end_time: roomid + 1,
  });

/** A list sorted newest first, served like WeChat: at most `cap` rows a page, whatever is asked. */
function wechatLike(
  ids: () => number[],
  cap = 50,
): { fetch: FetchRoomPage; calls: Array<[number, number]> } {
  const calls: Array<[number, number]> = [];
  return {
    calls,
    fetch: async (start, limit) => {
      calls.push([start, limit]);
      const all = ids();
      if (all.length === 0) return { rooms: [], total: null };
      if (start >= all.length) return { rooms: [], total: null };
      return { rooms: all.slice(start, start + Math.min(limit, cap)).map(room), total: all.length };
    },
  };
}

const range = (count: number) => Array.from({ length: count }, (_, index) => count - index);

describe('readFullRoomList', () => {
  it('pages by the rows WeChat returns (50), not by the 100 asked for', async () => {
    const source = wechatLike(() => range(120));
    const result = await readFullRoomList(source.fetch);
    expect(result.rooms.size).toBe(120);
    expect(source.calls).toEqual([
      [0, 100],
      [50, 100],
      [100, 100],
    ]);
  });

  it('makes no extra call when the total is a multiple of the page size', async () => {
    const source = wechatLike(() => range(100));
    await readFullRoomList(source.fetch);
    expect(source.calls.map(([start]) => start)).toEqual([0, 50]);
  });

  it('treats an empty answer at offset 0 as no rooms at all', async () => {
    const source = wechatLike(() => []);
    const result = await readFullRoomList(source.fetch);
    expect(result).toMatchObject({ total: 0, complete: true, passes: 1 });
    expect(result.rooms.size).toBe(0);
  });

  it('re-reads when a room is created mid-read, and ends with every room', async () => {
    let ids = range(120);
    const source = wechatLike(() => ids);
    const fetch: FetchRoomPage = async (start, limit) => {
      const page = await source.fetch(start, limit);
      if (start === 0 && source.calls.length === 1) ids = [1000, ...ids];
      return page;
    };
    const result = await readFullRoomList(fetch);
    expect(result.complete).toBe(true);
    expect(result.passes).toBe(2);
    expect([...result.rooms.keys()].sort((a, b) => a - b)).toEqual(
      [...range(120), 1000].sort((a, b) => a - b),
    );
  });

  it('re-reads when a room is deleted mid-read, so rooms pushed to an earlier offset are not missed', async () => {
    let ids = range(120);
    const source = wechatLike(() => ids);
    const fetch: FetchRoomPage = async (start, limit) => {
      const page = await source.fetch(start, limit);
      if (start === 0 && source.calls.length === 1) ids = ids.filter((id) => id !== 120);
      return page;
    };
    const result = await readFullRoomList(fetch);
    expect(result.complete).toBe(true);
    // Room 70 moved from offset 50 to 49 after the first page: only the re-read finds it.
    for (const id of range(119)) expect(result.rooms.has(id)).toBe(true);
  });

  it('deduplicates rooms seen on two pages', async () => {
    const fetch: FetchRoomPage = async (start) =>
      start === 0
        ? { rooms: [room(3), room(2)], total: 3 }
        : { rooms: [room(2), room(1)], total: 3 };
    const result = await readFullRoomList(fetch, { pageLimit: 2 });
    expect([...result.rooms.keys()]).toEqual([3, 2, 1]);
  });

  it('reads the pages after the first one in parallel, at the offsets the first page implies', async () => {
    const source = wechatLike(() => range(260));
    let inFlight = 0;
    let maxInFlight = 0;
    const fetch: FetchRoomPage = async (start, limit) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return source.fetch(start, limit);
    };
    const result = await readFullRoomList(fetch, { concurrency: 3 });
    expect(result.rooms.size).toBe(260);
    expect(source.calls.map(([start]) => start).sort((a, b) => a - b)).toEqual([
      0, 50, 100, 150, 200, 250,
    ]);
    expect(maxInFlight).toBe(3);
  });

  it('fails only once the pages still in flight have finished, and starts no queued page', async () => {
    const source = wechatLike(() => range(260));
    const finished: number[] = [];
    const fetch: FetchRoomPage = async (start, limit) => {
      if (start === 50) throw new Error('page 2 failed');
      // The other parallel pages answer later than the failing one.
      if (start > 0) await new Promise((resolve) => setTimeout(resolve, 30));
      const page = await source.fetch(start, limit);
      finished.push(start);
      return page;
    };
    await expect(readFullRoomList(fetch, { concurrency: 2 })).rejects.toThrow('page 2 failed');
    // Page 3 was already running beside page 2 and was waited for; pages 4 to 6 were never sent.
    expect(finished).toEqual([0, 100]);
    expect(source.calls.map(([start]) => start)).toEqual([0, 100]);
  });

  it('does not trust a short first page as the page size (it would cost thousands of calls)', async () => {
    const fetch: FetchRoomPage = async () => ({ rooms: [room(5)], total: 10_000 });
    const calls: number[] = [];
    const result = await readFullRoomList(async (start, limit) => {
      calls.push(start);
      return fetch(start, limit);
    });
    expect(result.complete).toBe(false);
    expect(calls).toEqual([0, 0, 0]);
  });

  it('gives up after a bounded number of passes when the list never settles', async () => {
    let total = 10;
    const fetch: FetchRoomPage = async (start) => {
      total += 1;
      return { rooms: start === 0 ? [room(total)] : [], total };
    };
    const result = await readFullRoomList(fetch, { maxPasses: 3 });
    expect(result).toMatchObject({ complete: false, passes: 3 });
  });
});
