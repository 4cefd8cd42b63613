/** What a benchmark run measures and where: sizes and durations from its flags, and the fixed names. */
export interface BenchSettings {
  quick: boolean;
  /** Latency the simulator adds to every WeChat call. */
  latencyMs: number;
  /** Room counts the sync scenarios run at. */
  sizes: number[];
  /** The size whose stack also takes the read load and the EXPLAINs. */
  readRooms: number;
  readSeconds: number;
  warmupSeconds: number;
  connections: number;
}

export function benchSettings(quick: boolean, latencyMs: number): BenchSettings {
  return {
    quick,
    latencyMs,
    sizes: quick ? [1_000, 5_000] : [1_000, 10_000, 50_000],
    readRooms: quick ? 5_000 : 10_000,
    readSeconds: quick ? 3 : 10,
    warmupSeconds: quick ? 2 : 5,
    connections: 50,
  };
}

/** The "first sync of 5,000 rooms at 20 ms per call, most of them ended with replays". */
export const REPLAY_HEAVY_ROOMS = 5_000;
/** "A few seconds, not minutes". */
export const REPLAY_HEAVY_TARGET_MS = 10_000;
/** Rows the simulator answers per get_replay page (its REPLAY_PAGE_CAP); the service asks for 100. */
export const SIM_REPLAY_PAGE = 100;

/** Concurrency the service uses, for the latency floor; read from its defaults via env if set. */
export const LIST_CONCURRENCY = Number(process.env.SYNC_LIST_CONCURRENCY ?? 8);
export const REPLAY_CONCURRENCY = Number(process.env.SYNC_REPLAY_CONCURRENCY ?? 32);

export const BENCH_DB_SERVER =
  process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/wxlive_bench';
export const BENCH_REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/13';
export const APPID = 'wxbench000000001';
export const ADMIN_TOKEN = 'bench-admin-token-0123456789';
export const ROOM_FIELDS = `roomId name coverImg shareImg liveStatus startTime endTime anchorName anchorImg pinned
  goods { goodsId name coverImg url price price2 priceType } replays { mediaUrl createTime expireTime }`;
export const SYNC =
  'mutation { syncRooms { roomsAdded roomsUpdated roomsArchived roomsRestored replaysFetched listCalls replayCalls tokenCalls durationMs } }';

export const log = (message: string) => console.log(`[bench] ${message}`);
