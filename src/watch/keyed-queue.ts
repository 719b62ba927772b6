// Runs the watch's handlers for many objects at once and for each object in
// order. Handling one KafkaCluster event is a few round trips (a finalizer
// patch, a signal to Temporal): one at a time, 1,000 clusters created at once
// waited a minute on the watcher alone. Events of one object (namespace/name)
// still run one after another, in the order they came, so a deletion is never
// handled before the change that preceded it.
export class KeyedQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** The last task queued per key: the next one of that key starts after it. */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly all = new Set<Promise<void>>();

  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`concurrency must be a whole number ≥ 1, not ${limit}`);
  }

  /** Queues `task` after the earlier tasks of `key`; resolves when it has run (tasks must not throw). */
  push(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const done = previous.then(() => this.slot(task));
    this.tails.set(key, done);
    this.all.add(done);
    void done.then(() => {
      this.all.delete(done);
      if (this.tails.get(key) === done) this.tails.delete(key);
    });
    return done;
  }

  /** Resolves once every task queued so far has run. */
  async idle(): Promise<void> {
    while (this.all.size > 0) await Promise.all([...this.all]);
  }

  private async slot(task: () => Promise<void>): Promise<void> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
