import { roomContentFromWechat, type RoomContent } from '../rooms/room.mapper.js';
import type { StoredRoomState } from '../rooms/room.repository.js';
import type { WechatRoom } from '../wechat/wechat.schemas.js';
import { needsReplays, type ReplayRetryPolicy } from './replay.collector.js';
import type { SyncCounts } from './sync-run.repository.js';

export interface SyncPlanInput {
  appId: string;
  /** Every room WeChat lists, by room id. */
  listed: ReadonlyMap<number, WechatRoom>;
  /** What MySQL holds for the app, by room id. */
  stored: ReadonlyMap<number, StoredRoomState>;
  /** The time replay retries are measured from. */
  at: Date;
  replayPolicy: ReplayRetryPolicy;
  /** False for a targeted refresh: it read part of the list, so an unlisted room is not gone. */
  archiveUnlisted?: boolean;
}

/** A room whose live status changed between what was stored and what WeChat listed. */
export interface StatusTransition {
  roomId: number;
  from: number;
  to: number;
}

export interface SyncPlan {
  /** New, changed and restored rooms; unchanged ones are not written at all. */
  toWrite: RoomContent[];
  /** Visible rooms WeChat no longer lists. */
  toArchive: number[];
  /** Rooms whose replays to ask WeChat for. */
  replayCandidates: WechatRoom[];
  /** Stored, visible rooms whose status WeChat now gives differently. */
  transitions: StatusTransition[];
  counts: Pick<SyncCounts, 'roomsAdded' | 'roomsUpdated' | 'roomsArchived' | 'roomsRestored'>;
}

/** Compares WeChat's list with what is stored and says what one sync writes, archives and asks. */
export function planSync(input: SyncPlanInput): SyncPlan {
  const { appId, listed, stored, at, replayPolicy } = input;
  const plan: SyncPlan = {
    toWrite: [],
    toArchive: [],
    replayCandidates: [],
    transitions: [],
    counts: { roomsAdded: 0, roomsUpdated: 0, roomsArchived: 0, roomsRestored: 0 },
  };
  for (const room of listed.values()) {
    const content = roomContentFromWechat(appId, room);
    const existing = stored.get(room.roomid);
    if (!existing) plan.counts.roomsAdded += 1;
    else if (existing.archived) plan.counts.roomsRestored += 1;
    else if (existing.contentHash !== content.contentHash) plan.counts.roomsUpdated += 1;
    // Unchanged rooms are not written at all: a steady-state sync sends no row.
    if (!existing || existing.archived || existing.contentHash !== content.contentHash)
      plan.toWrite.push(content);
    if (needsReplays(room, existing, at, replayPolicy)) plan.replayCandidates.push(room);
    if (existing && !existing.archived && existing.liveStatus !== room.live_status) {
      plan.transitions.push({
        roomId: room.roomid,
        from: existing.liveStatus,
        to: room.live_status,
      });
    }
  }
  if (input.archiveUnlisted ?? true) {
    for (const state of stored.values()) {
      if (!state.archived && !listed.has(state.roomId)) plan.toArchive.push(state.roomId);
    }
  }
  plan.counts.roomsArchived = plan.toArchive.length;
  return plan;
}
