import { liveStatusFromCode } from '../rooms/room.mapper.js';
import type { Freshness } from './freshness.type.js';
import type { FreshnessState } from './freshness.types.js';

const instant = (ms: number) => new Date(ms);
const maybeInstant = (ms: number | null) => (ms === null ? null : new Date(ms));

/** The planner's state (epoch milliseconds, status codes) as the API shows it. */
export function freshnessView(state: FreshnessState): Freshness {
  return {
    mode: state.mode,
    plannedAt: maybeInstant(state.plannedAt),
    budget: state.budget ? { ...state.budget, endsAt: instant(state.budget.endsAt) } : null,
    intervals: state.intervals,
    lastFullSyncAt: maybeInstant(state.lastFullSyncAt),
    next: state.next.map((read) => ({ ...read, at: instant(read.at) })),
    hotRooms: state.hotRooms.map((hot) => ({
      ...hot,
      dueAt: instant(hot.dueAt),
      confirmedAt: maybeInstant(hot.confirmedAt),
    })),
    skippedToday: state.skippedToday,
    transitions: state.transitions.map((transition) => ({
      ...transition,
      from: liveStatusFromCode(transition.from),
      to: liveStatusFromCode(transition.to),
      seenAt: instant(transition.seenAt),
    })),
  };
}
