import ky, { HTTPError, TimeoutError } from 'ky';

import { WechatTransportError, type WechatEndpoint } from './wechat.errors.js';

export interface WechatHttp {
  /** POSTs JSON and returns the parsed body; throws WechatTransportError for anything below HTTP 200 JSON. */
  post(endpoint: WechatEndpoint, body: unknown, accessToken?: string): Promise<unknown>;
}

/** One finished HTTP exchange with WeChat, for metrics. */
export interface WechatCallObservation {
  endpoint: WechatEndpoint;
  /** list / replay for getliveinfo, refresh / force_refresh for the token, quota. */
  kind: string;
  /** WeChat's errcode ("0" for success), or http_NNN, timeout, network, bad_json. */
  outcome: string;
  seconds: number;
}

export interface WechatHttpOptions {
  apiBase: string;
  timeoutMs: number;
  observe?: (call: WechatCallObservation) => void;
}

function callKind(endpoint: WechatEndpoint, body: unknown): string {
  const fields = (body ?? {}) as { action?: unknown; force_refresh?: unknown };
  if (endpoint === '/wxa/business/getliveinfo')
    return fields.action === 'get_replay' ? 'replay' : 'list';
  if (endpoint === '/cgi-bin/stable_token')
    return fields.force_refresh === true ? 'force_refresh' : 'refresh';
  return 'quota';
}

/** ky with WeChat's conventions: token in the query, JSON both ways, our own retry policy on top. */
export function createWechatHttp(options: WechatHttpOptions): WechatHttp {
  const client = ky.create({
    prefixUrl: options.apiBase,
    timeout: options.timeoutMs,
    retry: 0,
    throwHttpErrors: true,
    headers: { 'user-agent': 'wxlive' },
  });

  return {
    async post(endpoint, body, accessToken) {
      const started = performance.now();
      const observe = (outcome: string) =>
        options.observe?.({
          endpoint,
          kind: callKind(endpoint, body),
          outcome,
          seconds: (performance.now() - started) / 1000,
        });
      const path = endpoint.replace(/^\//, '');
      let text: string;
      try {
        const response = await client.post(path, {
          json: body,
          searchParams: accessToken === undefined ? undefined : { access_token: accessToken },
        });
        text = await response.text();
      } catch (error) {
        // Messages are ours: ky's own would repeat the URL, and with it the access token.
        if (error instanceof HTTPError) {
          observe(`http_${error.response.status}`);
          throw new WechatTransportError(
            `WeChat ${endpoint} answered HTTP ${error.response.status}`,
            endpoint,
            error.response.status,
          );
        }
        if (error instanceof TimeoutError) {
          observe('timeout');
          throw new WechatTransportError(
            `WeChat ${endpoint} did not answer within ${options.timeoutMs} ms`,
            endpoint,
          );
        }
        observe('network');
        const code = (error as { cause?: { code?: string } }).cause?.code;
        throw new WechatTransportError(
          `WeChat ${endpoint} could not be reached${code ? ` (${code})` : ''}`,
          endpoint,
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        observe('bad_json');
        throw new WechatTransportError(
          `WeChat ${endpoint} answered a body that is not JSON`,
          endpoint,
        );
      }
      const errcode = (parsed as { errcode?: unknown } | null)?.errcode;
      observe(typeof errcode === 'number' ? String(errcode) : '0');
      return parsed;
    },
  };
}
