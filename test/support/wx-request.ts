import type { WxRequestOptions } from '../../client/wxlive-client.js';

/**
 * `wx.request` as the mini-program runtime behaves, on Node's fetch: an object `data` goes out as
 * JSON, every HTTP answer reaches `success` (whatever its status) with the body parsed when it is
 * JSON, and only a failed exchange reaches `fail`, with an `errMsg` like WeChat's.
 * `sent` records what each call was given, so tests can check what the client asked for.
 */
export function createWxRequest(): {
  request: (options: WxRequestOptions) => void;
  sent: WxRequestOptions[];
} {
  const sent: WxRequestOptions[] = [];
  function request(options: WxRequestOptions): void {
    sent.push(options);
    const signal = options.timeout === undefined ? undefined : AbortSignal.timeout(options.timeout);
    const answer = fetch(options.url, {
      method: options.method,
      headers: options.header,
      body: JSON.stringify(options.data),
      signal,
    }).then(async (response) => ({ statusCode: response.status, text: await response.text() }));
    answer.then(
      ({ statusCode, text }) => options.success({ statusCode, data: parseJsonOrKeep(text) }),
      (error: Error & { cause?: { code?: string } }) =>
        options.fail({
          errMsg:
            error.name === 'TimeoutError'
              ? 'request:fail timeout'
              : `request:fail ${error.cause?.code ?? error.message}`,
        }),
    );
  }
  return { request, sent };
}

function parseJsonOrKeep(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
