import { describe, expect, it } from 'vitest';

import { roomContentFromWechat } from '../rooms/room.mapper.js';
import type { StoredRoomState } from '../rooms/room.repository.js';
import { wechatRoomSchema, type WechatRoom } from '../wechat/wechat.schemas.js';
import { planSync, type SyncPlanInput } from './sync.planner.js';

const APP_ID = 'wxplan';
const AT = new Date('2026-06-01T12:00:00Z');
const LIVE = 101;
const ENDED = 103;

const wechatRoom = (roomid: number, fields: Partial<WechatRoom> = {}): WechatRoom =>
  wechatRoomSchema.parse({
    roomid,
    name: `room ${roomid}`,
    live_status: LIVE,
    start_time: 1_790_000_000 + roomid,
    end_time: 1_790_003_600 + roomid,
    ...fields,
  });

/** What MySQL would hold after storing `room` as it is now. */
const storedAs = (room: WechatRoom, state: Partial<StoredRoomState> = {}): StoredRoomState => ({
  roomId: room.roomid,
  liveStatus: room.live_status,
  contentHash: roomContentFromWechat(APP_ID, room).contentHash,
  archived: false,
  hasReplays: false,
  replaysCheckedAt: null,
  replaysFirstCheckedAt: null,
  updatedAt: new Date(AT.getTime() - 86_400_000),
  ...state,
});

function plan(listed: WechatRoom[], stored: StoredRoomState[], archiveUnlisted?: boolean) {
  const input: SyncPlanInput = {
    appId: APP_ID,
    listed: new Map(listed.map((room) => [room.roomid, room])),
    stored: new Map(stored.map((state) => [state.roomId, state])),
    at: AT,
    replayPolicy: { replayRetryMinutes: 60, replayGiveUpDays: 7 },
    archiveUnlisted,
  };
  return planSync(input);
}

const writtenIds = (result: ReturnType<typeof plan>) => result.toWrite.map((row) => row.roomId);

describe('planSync', () => {
  it('adds every room on a first sync', () => {
    const result = plan([wechatRoom(1), wechatRoom(2)], []);
    expect(result.counts).toEqual({
      roomsAdded: 2,
      roomsUpdated: 0,
      roomsArchived: 0,
      roomsRestored: 0,
    });
    expect(writtenIds(result)).toEqual([1, 2]);
    expect(result.toWrite[0]).toMatchObject({ appId: APP_ID, roomId: 1, name: 'room 1' });
    expect(result.toArchive).toEqual([]);
  });

  it('writes no row for rooms whose WeChat fields did not change', () => {
    const rooms = [wechatRoom(1), wechatRoom(2)];
    const result = plan(
      rooms,
      rooms.map((room) => storedAs(room)),
    );
    expect(result.counts).toEqual({
      roomsAdded: 0,
      roomsUpdated: 0,
      roomsArchived: 0,
      roomsRestored: 0,
    });
    expect(result.toWrite).toEqual([]);
  });

  it('counts and writes a known room whose fields changed as updated', () => {
    const before = wechatRoom(1);
    const result = plan(
      [wechatRoom(1, { name: 'renamed' }), wechatRoom(2)],
      [storedAs(before), storedAs(wechatRoom(2))],
    );
    expect(result.counts).toMatchObject({ roomsAdded: 0, roomsUpdated: 1 });
    expect(result.toWrite).toEqual([expect.objectContaining({ roomId: 1, name: 'renamed' })]);
  });

  it('restores an archived room WeChat lists again, even when its fields did not change', () => {
    const room = wechatRoom(1);
    const result = plan([room], [storedAs(room, { archived: true })]);
    expect(result.counts).toMatchObject({ roomsRestored: 1, roomsUpdated: 0, roomsAdded: 0 });
    expect(writtenIds(result)).toEqual([1]);
  });

  it('archives visible rooms WeChat no longer lists, and not those already archived', () => {
    const result = plan(
      [wechatRoom(1)],
      [
        storedAs(wechatRoom(1)),
        storedAs(wechatRoom(2)),
        storedAs(wechatRoom(3), { archived: true }),
      ],
    );
    expect(result.toArchive).toEqual([2]);
    expect(result.counts.roomsArchived).toBe(1);
    expect(result.toWrite).toEqual([]);
  });

  it('lists the status changes of known visible rooms, not of new or archived ones', () => {
    const started = wechatRoom(1);
    const ended = wechatRoom(2, { live_status: 103 });
    const restored = wechatRoom(3);
    const result = plan(
      [started, ended, restored, wechatRoom(4)],
      [
        storedAs(wechatRoom(1, { live_status: 102 })),
        storedAs(wechatRoom(2)),
        storedAs(wechatRoom(3, { live_status: 102 }), { archived: true }),
      ],
    );
    expect(result.transitions).toEqual([
      { roomId: 1, from: 102, to: 101 },
      { roomId: 2, from: 101, to: 103 },
    ]);
  });

  it('asks for the replays of a room seen ending only once WeChat has had time to make them', () => {
    const ended = wechatRoom(1, { live_status: 103, close_replay: 0 });
    const justEnded = plan([ended], [storedAs(wechatRoom(1, { close_replay: 0 }))]);
    expect(justEnded.replayCandidates).toEqual([]);
    const stored = (minutesAgo: number) =>
      storedAs(ended, { updatedAt: new Date(AT.getTime() - minutesAgo * 60_000) });
    expect(plan([ended], [stored(10)]).replayCandidates).toEqual([]);
    expect(plan([ended], [stored(17)]).replayCandidates.map((room) => room.roomid)).toEqual([1]);
  });

  it('archives nothing for a read of part of the list (a targeted refresh)', () => {
    const result = plan([wechatRoom(1)], [storedAs(wechatRoom(1)), storedAs(wechatRoom(2))], false);
    expect(result.toArchive).toEqual([]);
    expect(result.counts.roomsArchived).toBe(0);
  });

  it('asks for replays of ended rooms with replay on and none stored, new or unchanged', () => {
    const endedNew = wechatRoom(1, { live_status: ENDED });
    const endedKnown = wechatRoom(2, { live_status: ENDED });
    const endedWithReplays = wechatRoom(3, { live_status: ENDED });
    const replayOff = wechatRoom(4, { live_status: ENDED, close_replay: 1 });
    const live = wechatRoom(5);
    const result = plan(
      [endedNew, endedKnown, endedWithReplays, replayOff, live],
      [storedAs(endedKnown), storedAs(endedWithReplays, { hasReplays: true })],
    );
    expect(result.replayCandidates.map((room) => room.roomid)).toEqual([1, 2]);
    // Asking for replays is independent of writing: the unchanged ended room is not rewritten.
    expect(writtenIds(result)).toEqual([1, 4, 5]);
  });

  it('waits before asking again, and gives up on a room that never had replays', () => {
    const minutesAgo = (minutes: number) => new Date(AT.getTime() - minutes * 60_000);
    const ended = (roomid: number) => wechatRoom(roomid, { live_status: ENDED });
    const result = plan(
      [ended(1), ended(2), ended(3)],
      [
        storedAs(ended(1), {
          replaysCheckedAt: minutesAgo(30),
          replaysFirstCheckedAt: minutesAgo(30),
        }),
        storedAs(ended(2), {
          replaysCheckedAt: minutesAgo(90),
          replaysFirstCheckedAt: minutesAgo(90),
        }),
        storedAs(ended(3), {
          replaysCheckedAt: minutesAgo(90),
          replaysFirstCheckedAt: minutesAgo(8 * 24 * 60),
        }),
      ],
    );
    expect(result.replayCandidates.map((room) => room.roomid)).toEqual([2]);
  });
});
