/**
 * Like Promise.all, but rejects only once every promise has settled. A sync that fails on one page
 * must not answer (and record its call counts) while other pages or replay calls are still in
 * flight: their calls would go unrecorded and reach WeChat after the failure was reported.
 */
export async function settleAll<T>(promises: Iterable<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}
