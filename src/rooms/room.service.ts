import type { Database } from '../db/client.js';
import { AppError } from '../errors.js';
import { liveStatusCode, roomViewFromRow, type LiveStatus, type RoomView } from './room.mapper.js';
import { lastFullSyncFinishedAt } from '../sync/sync-run.repository.js';
import { findRoomsPage, findVisibleRoom, setRoomPinned } from './room.repository.js';

export interface RoomPageView {
  items: RoomView[];
  totalCount: number;
  page: number;
  pageSize: number;
}

export interface RoomService {
  listRooms(query: {
    page: number;
    pageSize: number;
    status?: readonly LiveStatus[] | null;
  }): Promise<RoomPageView>;
  getRoom(roomId: number): Promise<RoomView | null>;
  pinRoom(roomId: number, pinned: boolean): Promise<RoomView>;
}

export interface RoomServiceOptions {
  db: Database;
  appId: string;
  defaultAnchorImg: string | null;
  onDataChanged?: () => Promise<void>;
}

export function createRoomService(options: RoomServiceOptions): RoomService {
  const { db, appId, defaultAnchorImg } = options;
  const toView = (row: Parameters<typeof roomViewFromRow>[0], lastFullSyncAt: Date | null) =>
    roomViewFromRow(row, defaultAnchorImg, lastFullSyncAt);
  // One indexed lookup per answer (not per room): what confirms every room a full sync listed.
  const lastFullSync = () => lastFullSyncFinishedAt(db, appId);

  return {
    async listRooms({ page, pageSize, status }) {
      const [{ rows, total }, lastFullSyncAt] = await Promise.all([
        findRoomsPage(db, {
          appId,
          offset: (page - 1) * pageSize,
          limit: pageSize,
          // A list repeating one status thousands of times is still seven values at most.
          statusCodes: status ? [...new Set(status.map(liveStatusCode))] : undefined,
        }),
        lastFullSync(),
      ]);
      return {
        items: rows.map((row) => toView(row, lastFullSyncAt)),
        totalCount: total,
        page,
        pageSize,
      };
    },

    async getRoom(roomId) {
      const [row, lastFullSyncAt] = await Promise.all([
        findVisibleRoom(db, appId, roomId),
        lastFullSync(),
      ]);
      return row ? toView(row, lastFullSyncAt) : null;
    },

    async pinRoom(roomId, pinned) {
      const row = await setRoomPinned(db, appId, roomId, pinned, new Date());
      if (!row) throw new AppError('NOT_FOUND', `Room ${roomId} is not known (or archived)`);
      if (options.onDataChanged) await options.onDataChanged();
      return toView(row, await lastFullSync());
    },
  };
}
