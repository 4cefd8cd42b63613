import { STATUS_CODES } from 'node:http';

import type { WireBody } from './sim.http.js';

/** `getliveinfo` matches both its list and its replay mode. */
export type SimFaultEndpoint = 'list' | 'replay' | 'getliveinfo' | 'stable_token' | 'quota_get';

export type SimFault = {
  endpoint: SimFaultEndpoint;
  /** How many matching calls it hits, default 1. */
  times?: number;
  /** Let this many matching calls pass first, default 0. */
  skip?: number;
} & (
  | { kind: 'errcode'; errcode: number; errmsg?: string }
  | { kind: 'http'; status: number }
  | { kind: 'hang'; ms: number }
  | { kind: 'malformed' }
  | { kind: 'drop-field'; field: string }
  | { kind: 'mistype-field'; field: string }
  | { kind: 'short-page'; rows: number }
  | { kind: 'reset-connection' }
);

interface QueuedFault {
  fault: SimFault;
  skipLeft: number;
  timesLeft: number;
}

export interface FaultQueue {
  push(fault: SimFault): void;
  clear(): number;
  pending(): SimFault[];
  /**
   * Only the oldest fault matching the call is considered, so faults for one endpoint play out in
   * the order they were injected; while it is skipping, the call passes untouched.
   */
  take(endpoints: readonly SimFaultEndpoint[]): SimFault | undefined;
}

export function createFaultQueue(): FaultQueue {
  let queue: QueuedFault[] = [];
  return {
    push(fault) {
      const times = fault.times ?? 1;
      if (times < 1) return;
      queue.push({ fault, skipLeft: fault.skip ?? 0, timesLeft: times });
    },
    clear() {
      const count = queue.length;
      queue = [];
      return count;
    },
    pending() {
      return queue.map((q) => ({ ...q.fault, times: q.timesLeft, skip: q.skipLeft }));
    },
    take(endpoints) {
      const index = queue.findIndex((q) => endpoints.includes(q.fault.endpoint));
      const queued = queue[index];
      if (queued === undefined) return undefined;
      if (queued.skipLeft > 0) {
        queued.skipLeft--;
        return undefined;
      }
      queued.timesLeft--;
      if (queued.timesLeft === 0) queue.splice(index, 1);
      return queued.fault;
    },
  };
}

function mistype(value: unknown): unknown {
  if (typeof value === 'string') return 12345;
  if (value === undefined || value === null) return value;
  return 'abc';
}

/**
 * Applies a fault that corrupts an answer WeChat otherwise gave normally. A top-level key (`total`,
 * `access_token`) is hit directly; any other field is hit in every item of the answer's row array
 * (`room_info` or `live_replay`). Error answers (errcode ≠ 0) come back unchanged, as the same object.
 */
export function corruptAnswer(
  answer: WireBody,
  fault: SimFault,
  rowsKey: 'room_info' | 'live_replay' | undefined,
): WireBody {
  if (typeof answer.errcode === 'number' && answer.errcode !== 0) return answer;
  const rows = rowsKey === undefined ? undefined : answer[rowsKey];
  const items = Array.isArray(rows) ? (rows as unknown[]) : [];
  const copy: WireBody = { ...answer };
  switch (fault.kind) {
    case 'drop-field':
      if (fault.field in answer) delete copy[fault.field];
      else if (rowsKey !== undefined)
        copy[rowsKey] = items.map((item) => withoutKey(item, fault.field));
      return copy;
    case 'mistype-field':
      if (fault.field in answer) copy[fault.field] = mistype(answer[fault.field]);
      else if (rowsKey !== undefined)
        copy[rowsKey] = items.map((item) => withMistyped(item, fault.field));
      return copy;
    case 'short-page':
      if (rowsKey !== undefined) copy[rowsKey] = items.slice(0, Math.max(0, fault.rows));
      return copy;
    default:
      return answer;
  }
}

function withoutKey(item: unknown, key: string): unknown {
  if (typeof item !== 'object' || item === null) return item;
  const copy: Record<string, unknown> = { ...(item as Record<string, unknown>) };
  delete copy[key];
  return copy;
}

function withMistyped(item: unknown, key: string): unknown {
  if (typeof item !== 'object' || item === null) return item;
  const record = item as Record<string, unknown>;
  return { ...record, [key]: mistype(record[key]) };
}

/** Cuts a JSON text mid-way: never valid JSON, like a body lost to a dropped proxy connection. */
export function truncateJson(text: string): string {
  return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
}

/** The HTML page a gateway in front of WeChat answers with, not a WeChat JSON error. */
export function htmlErrorPage(status: number): string {
  const reason = STATUS_CODES[status] ?? 'Error';
  return `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}
