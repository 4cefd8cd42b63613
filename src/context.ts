import type { RoomService } from './rooms/room.service.js';
import type { SyncService } from './sync/sync.service.js';
import type { QuotaService } from './quota/quota.service.js';
import type { Database } from './db/client.js';
import type { AdminCheck } from './http/admin-auth.js';

/** The services resolvers reach through the GraphQL context, built once by the composition root. */
export interface AppServices {
  appId: string;
  db: Database;
  rooms: RoomService;
  sync: SyncService;
  quota: QuotaService;
  defaultAnchorImg: string | null;
}

export interface GraphQLContext {
  requestId: string;
  /** `admin` when the request carried `Authorization: Bearer <ADMIN_TOKEN>`. */
  auth: AdminCheck;
  services: AppServices;
}
