/**
 * autocannon's `verifyBody` check for GraphQL answers: Apollo answers a failed operation with
 * HTTP 200 and a top-level `errors` member, which autocannon's own error and non-2xx counters
 * never see; bodies failing this are counted in the result's `mismatches`. The substring test
 * keeps the common case cheap (the bodies are JSON, so a member named errors shows as
 * `"errors"`); a body that has it but does not parse counts as failed too.
 */
export function hasNoGraphqlErrors(body: string | Buffer | undefined): boolean {
  const text = typeof body === 'string' ? body : (body?.toString('utf8') ?? '');
  if (!text.includes('"errors"')) return true;
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !('errors' in parsed);
  } catch {
    return false;
  }
}
