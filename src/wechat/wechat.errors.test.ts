import { describe, expect, it } from 'vitest';

import { WechatApiError, WechatTransportError, isTransientErrcode } from './wechat.errors.js';

const endpoint = '/wxa/business/getliveinfo' as const;

describe('WeChat errcode classification', () => {
  it('retries system busy and the 9410001-3 read failures', () => {
    for (const errcode of [-1, 9410001, 9410002, 9410003])
      expect(isTransientErrcode(errcode)).toBe(true);
  });

  it('does not retry configuration, quota or token errors', () => {
    for (const errcode of [48001, 45009, 40013, 40001, 9410000, 1])
      expect(isTransientErrcode(errcode)).toBe(false);
  });

  it('recognises the three token rejections', () => {
    expect(
      [40001, 40014, 42001].map((code) => new WechatApiError(code, '', endpoint).isTokenRejected),
    ).toEqual([true, true, true]);
    expect(new WechatApiError(41001, '', endpoint).isTokenRejected).toBe(false);
  });

  it('retries HTTP 5xx and network failures but not other 4xx', () => {
    expect(new WechatTransportError('x', endpoint, 502).retryable).toBe(true);
    expect(new WechatTransportError('x', endpoint).retryable).toBe(true);
    expect(new WechatTransportError('x', endpoint, 404).retryable).toBe(false);
  });
});
