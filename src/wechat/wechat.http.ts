import ky, { HTTPError, TimeoutError } from 'ky';

import { WechatTransportError, type WechatEndpoint } from './wechat.errors.js';

export interface WechatHttp {
  /** POSTs JSON and returns the parsed body; throws WechatTransportError for anything below HTTP 200 JSON. */
  post(endpoint: WechatEndpoint, body: unknown, accessToken?: string): Promise<unknown>;
}

export interface WechatHttpOptions {
  apiBase: string;
  timeoutMs: number;
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
          throw new WechatTransportError(
            `WeChat ${endpoint} answered HTTP ${error.response.status}`,
            endpoint,
            error.response.status,
          );
        }
        if (error instanceof TimeoutError) {
          throw new WechatTransportError(
            `WeChat ${endpoint} did not answer within ${options.timeoutMs} ms`,
            endpoint,
          );
        }
        const code = (error as { cause?: { code?: string } }).cause?.code;
        throw new WechatTransportError(
          `WeChat ${endpoint} could not be reached${code ? ` (${code})` : ''}`,
          endpoint,
        );
      }
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new WechatTransportError(
          `WeChat ${endpoint} answered a body that is not JSON`,
          endpoint,
        );
      }
    },
  };
}
