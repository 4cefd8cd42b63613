/**
 * Every Redis key in one place, each scoped by app id so that serving several mini-programs later
 * is an addition, not a migration. The app id is a hash tag, so one app's keys share a Redis Cluster
 * slot and the Lua scripts that touch several of them stay valid there.
 */
export const redisKeys = {
  accessToken: (appId: string) => `wxlive:{${appId}}:token`,
  accessTokenFetchedAt: (appId: string) => `wxlive:{${appId}}:token:fetched-at`,
  tokenRefreshLock: (appId: string) => `wxlive:{${appId}}:token:lock`,
  forceRefreshBudget: (appId: string, chinaDay: string) =>
    `wxlive:{${appId}}:token:force:${chinaDay}`,
  forceRefreshLast: (appId: string) => `wxlive:{${appId}}:token:force:last`,
  quotaUsed: (appId: string, chinaDay: string) => `wxlive:{${appId}}:quota:${chinaDay}:used`,
  quotaLimit: (appId: string, chinaDay: string) => `wxlive:{${appId}}:quota:${chinaDay}:limit`,
  quotaSpent: (appId: string, chinaDay: string) => `wxlive:{${appId}}:quota:${chinaDay}:spent`,
  syncLock: (appId: string) => `wxlive:{${appId}}:sync:lock`,
  /** Failed admin-token attempts of one client, for the lock-out window. */
  adminFailures: (appId: string, client: string) => `wxlive:{${appId}}:auth:failures:${client}`,
  /** A scheduled job's slot (job name and time), claimed by the one instance that runs it. */
  cronSlot: (appId: string, slot: string) => `wxlive:{${appId}}:cron:${slot}`,
  /** Each room's row offset in WeChat's list at the last full read (a hash: room id → offset). */
  listPositions: (appId: string) => `wxlive:{${appId}}:list:positions`,
  /** That read's total, rows per page and time (JSON). */
  listPositionsMeta: (appId: string) => `wxlive:{${appId}}:list:meta`,
  /** The adaptive planner's lease: the one instance that plans and reads for this app. */
  freshnessLease: (appId: string) => `wxlive:{${appId}}:freshness:lease`,
  /** The planner's latest plan (JSON), for admins on any instance and for the next leaseholder. */
  freshnessPlan: (appId: string) => `wxlive:{${appId}}:freshness:plan`,
  /** Status changes the planner's reads saw, newest first (a capped list of JSON entries). */
  freshnessTransitions: (appId: string) => `wxlive:{${appId}}:freshness:transitions`,
  /** Reads skipped for want of budget, per China day. */
  freshnessSkipped: (appId: string, chinaDay: string) =>
    `wxlive:{${appId}}:freshness:skipped:${chinaDay}`,
  /** Set when a targeted read saw the list's total change since the last full read. */
  freshnessListDrift: (appId: string) => `wxlive:{${appId}}:freshness:list-drift`,
  /** Pub/sub channel announcing that served data changed. */
  dataChanged: (appId: string) => `wxlive:{${appId}}:data:changed`,
} as const;
