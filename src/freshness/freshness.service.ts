import type { FreshnessStore } from './freshness.store.js';
import { SyncMode, type FreshnessState } from './freshness.types.js';

/** What admins read of the planner: its latest plan (made by whichever instance holds the lease). */
export interface FreshnessService {
  readonly mode: SyncMode;
  state(): Promise<FreshnessState>;
}

export function createFreshnessService(options: {
  appId: string;
  mode: SyncMode;
  store: FreshnessStore;
  now?: () => Date;
}): FreshnessService {
  const { appId, mode, store } = options;
  const now = options.now ?? (() => new Date());
  return {
    mode,
    async state() {
      const [plan, transitions, skippedToday] = await Promise.all([
        mode === SyncMode.ADAPTIVE ? store.loadPlan() : Promise.resolve(null),
        store.transitions(),
        store.skippedOn(now()),
      ]);
      return {
        appId,
        mode,
        plannedAt: plan?.plannedAt ?? null,
        budget: plan?.budget ?? null,
        intervals: plan?.intervals ?? null,
        lastFullSyncAt: plan?.lastFullSyncAt ?? null,
        next: plan?.next ?? [],
        hotRooms: plan?.hotRooms ?? [],
        skippedToday,
        transitions,
      };
    },
  };
}
