// One async lock per key (a repository mirror): callers with the same key run one after another,
// different keys run in parallel. In-process only; one controller replica owns a cache directory.

export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      // The last holder leaves no entry behind, so the map does not grow with every repository seen.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
