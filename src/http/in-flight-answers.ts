/**
 * Answers being computed for cacheable requests, shared with identical requests meanwhile: just
 * after the cache was emptied, many clients asking the same thing cost one computation, not one
 * each.
 */
export interface InFlightAnswers<Answer> {
  /**
   * The first request with `key` runs `compute`, which `publish`es its answer if it has one to
   * share; requests with the same key that arrive meanwhile wait and `reuse` it. One whose first
   * request finished with nothing to share (an error answer, say) runs `compute` itself.
   */
  share(key: string, handlers: ShareHandlers<Answer>): Promise<void>;
  /** How many keys are being computed now. */
  pending(): number;
}

export interface ShareHandlers<Answer> {
  compute: (publish: (answer: Answer) => void) => Promise<void>;
  reuse: (answer: Answer) => void;
}

export function createInFlightAnswers<Answer>(): InFlightAnswers<Answer> {
  const flights = new Map<string, Promise<Answer | undefined>>();

  async function lead(key: string, compute: ShareHandlers<Answer>['compute']): Promise<void> {
    let settle: (answer: Answer | undefined) => void = () => undefined;
    flights.set(
      key,
      new Promise((resolve) => {
        settle = resolve;
      }),
    );
    try {
      await compute(settle);
    } finally {
      // Whatever happened, the waiting requests go on: with nothing, they compute themselves.
      settle(undefined);
      flights.delete(key);
    }
  }

  return {
    async share(key, { compute, reuse }) {
      const running = flights.get(key);
      if (!running) return lead(key, compute);
      const answer = await running;
      if (answer === undefined) return compute(() => undefined);
      reuse(answer);
    },
    pending: () => flights.size,
  };
}
