import { chinaDay, chinaMonth } from './sim.clock.js';

export interface QuotaState {
  dailyLimit: number;
  used: number;
  remain: number;
}

export interface QuotaCounter {
  /** Counts one getliveinfo call; `false` (and nothing counted) when the day's quota is spent. */
  tryConsume(): boolean;
  state(): QuotaState;
  set(patch: { dailyLimit?: number; used?: number }): QuotaState;
  /** clear_quota: `false` once this month's allowance is spent. */
  clear(): boolean;
}

const CLEARS_PER_MONTH = 10;

export function createQuotaCounter(opts: { dailyLimit: number; now: () => number }): QuotaCounter {
  let dailyLimit = opts.dailyLimit;
  let used = 0;
  let day = chinaDay(opts.now());
  let clearMonth = chinaMonth(opts.now());
  let clearsThisMonth = 0;

  function rollDay(): void {
    const today = chinaDay(opts.now());
    if (today !== day) {
      day = today;
      used = 0;
    }
  }

  function state(): QuotaState {
    rollDay();
    return { dailyLimit, used, remain: Math.max(0, dailyLimit - used) };
  }

  return {
    tryConsume() {
      rollDay();
      if (used >= dailyLimit) return false;
      used++;
      return true;
    },
    state,
    set(patch) {
      rollDay();
      if (patch.dailyLimit !== undefined) dailyLimit = patch.dailyLimit;
      if (patch.used !== undefined) used = patch.used;
      return state();
    },
    clear() {
      const month = chinaMonth(opts.now());
      if (month !== clearMonth) {
        clearMonth = month;
        clearsThisMonth = 0;
      }
      if (clearsThisMonth >= CLEARS_PER_MONTH) return false;
      clearsThisMonth++;
      rollDay();
      used = 0;
      return true;
    },
  };
}
