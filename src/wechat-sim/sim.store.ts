import { SimControlError } from './sim.http.js';
import type { SimRoom } from './sim.rooms.js';

export interface RoomStore {
  /** Rooms in WeChat's list order; the same array until rooms change, so do not mutate it. */
  sorted(): readonly SimRoom[];
  get(roomid: number): SimRoom | undefined;
  replaceAll(rooms: readonly SimRoom[]): void;
  add(room: SimRoom): void;
  update(roomid: number, patch: Partial<SimRoom>): void;
  remove(roomid: number): void;
}

/** Copies down to goods and replays, the parts callers are likely to edit in place. */
export function cloneRoom(room: SimRoom): SimRoom {
  const copy: SimRoom = { ...room, goods: room.goods.map((g) => ({ ...g })) };
  if (Array.isArray(room.replays)) copy.replays = room.replays.map((r) => ({ ...r }));
  return copy;
}

/** WeChat's list order: newest start_time first; roomid breaks ties so paging is stable. */
function listOrder(a: SimRoom, b: SimRoom): number {
  return b.start_time - a.start_time || b.roomid - a.roomid;
}

function lowerBound(rooms: readonly SimRoom[], room: SimRoom): number {
  let lo = 0;
  let hi = rooms.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (listOrder(rooms[mid] as SimRoom, room) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Keeps the sorted list cached and patches it in place (binary search + splice) on single-room
 * changes, so a benchmark with 50,000 rooms never re-sorts while a hook edits rooms between pages.
 * Rooms are stored as copies: callers' objects never alias the simulator's state.
 */
export function createRoomStore(initial: readonly SimRoom[]): RoomStore {
  const byId = new Map<number, SimRoom>();
  let sorted: SimRoom[] | undefined;

  function ordered(): SimRoom[] {
    sorted ??= [...byId.values()].sort(listOrder);
    return sorted;
  }

  function unlink(room: SimRoom): void {
    if (sorted === undefined) return;
    const index = lowerBound(sorted, room);
    if (sorted[index]?.roomid === room.roomid) sorted.splice(index, 1);
    else sorted = undefined;
  }

  function link(room: SimRoom): void {
    if (sorted === undefined) return;
    sorted.splice(lowerBound(sorted, room), 0, room);
  }

  function replaceAll(rooms: readonly SimRoom[]): void {
    const next = new Map<number, SimRoom>();
    for (const room of rooms) {
      if (next.has(room.roomid)) throw new SimControlError(409, `duplicate roomid ${room.roomid}`);
      next.set(room.roomid, cloneRoom(room));
    }
    byId.clear();
    for (const [id, room] of next) byId.set(id, room);
    sorted = undefined;
  }

  replaceAll(initial);

  return {
    sorted: ordered,
    get: (roomid) => byId.get(roomid),
    replaceAll,
    add(room) {
      if (byId.has(room.roomid)) throw new SimControlError(409, `room ${room.roomid} exists`);
      const copy = cloneRoom(room);
      byId.set(copy.roomid, copy);
      link(copy);
    },
    update(roomid, patch) {
      const room = byId.get(roomid);
      if (room === undefined) throw new SimControlError(404, `room ${roomid} not found`);
      if (patch.roomid !== undefined && patch.roomid !== roomid) {
        throw new SimControlError(400, 'roomid cannot change: remove the room and add a new one');
      }
      const moves = patch.start_time !== undefined && patch.start_time !== room.start_time;
      if (moves) unlink(room);
      const target = room as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(patch)) {
        // `undefined` removes an optional key (anchor_img, replays) and never blanks a required one.
        if (value !== undefined)
          target[key] = key === 'goods' || key === 'replays' ? structuredClone(value) : value;
        else if (key === 'anchor_img' || key === 'replays') delete target[key];
      }
      if (moves) link(room);
    },
    remove(roomid) {
      const room = byId.get(roomid);
      if (room === undefined) throw new SimControlError(404, `room ${roomid} not found`);
      unlink(room);
      byId.delete(roomid);
    },
  };
}
