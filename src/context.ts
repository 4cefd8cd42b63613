import type { AdminCheck } from './http/admin-auth.js';
import type { Services } from './services.js';

export interface GraphQLContext {
  requestId: string;
  /** `admin` when the request carried `Authorization: Bearer <ADMIN_TOKEN>`. */
  auth: AdminCheck;
  services: Services;
}
