import { describe, expect, it } from 'vitest';

import { createInFlightAnswers } from './in-flight-answers.js';

/** A promise with its resolve, to hold a computation open while others arrive. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** Runs one request through `share`; records how it was answered. */
function request(
  flights: ReturnType<typeof createInFlightAnswers<string>>,
  key: string,
  compute: (publish: (answer: string) => void) => Promise<void>,
) {
  const seen: { computed: boolean; reused?: string } = { computed: false };
  const done = flights.share(key, {
    compute: async (publish) => {
      seen.computed = true;
      await compute(publish);
    },
    reuse: (answer) => {
      seen.reused = answer;
    },
  });
  return { seen, done };
}

describe('in-flight answers', () => {
  it('computes once for identical overlapping requests; the others reuse the answer', async () => {
    const flights = createInFlightAnswers<string>();
    const { open, opened } = gate();
    const compute = async (publish: (answer: string) => void) => {
      await opened;
      publish('rooms page 1');
    };
    const first = request(flights, 'k', compute);
    const others = [request(flights, 'k', compute), request(flights, 'k', compute)];
    expect(flights.pending()).toBe(1);
    open();
    await Promise.all([first.done, ...others.map((other) => other.done)]);
    expect(first.seen).toEqual({ computed: true });
    for (const other of others)
      expect(other.seen).toEqual({ computed: false, reused: 'rooms page 1' });
    expect(flights.pending()).toBe(0);
  });

  it('does not share between different keys', async () => {
    const flights = createInFlightAnswers<string>();
    const { open, opened } = gate();
    const compute = (answer: string) => async (publish: (answer: string) => void) => {
      await opened;
      publish(answer);
    };
    const a = request(flights, 'a', compute('A'));
    const b = request(flights, 'b', compute('B'));
    expect(flights.pending()).toBe(2);
    open();
    await Promise.all([a.done, b.done]);
    expect([a.seen, b.seen]).toEqual([{ computed: true }, { computed: true }]);
  });

  it('lets the waiting requests compute themselves when the first had nothing to share', async () => {
    const flights = createInFlightAnswers<string>();
    const { open, opened } = gate();
    const first = request(flights, 'k', async () => {
      await opened;
      throw new Error('upstream failed');
    });
    const waiting = request(flights, 'k', async () => undefined);
    open();
    await expect(first.done).rejects.toThrow('upstream failed');
    await waiting.done;
    expect(waiting.seen).toEqual({ computed: true });
    expect(flights.pending()).toBe(0);
  });

  it('forgets an answer once its computation ended: a later request computes again', async () => {
    const flights = createInFlightAnswers<string>();
    await request(flights, 'k', async (publish) => publish('old')).done;
    const later = request(flights, 'k', async (publish) => publish('new'));
    await later.done;
    expect(later.seen).toEqual({ computed: true });
  });
});
