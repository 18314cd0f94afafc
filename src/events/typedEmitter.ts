/**
 * An event emitter whose event names and arguments are a type: a listener with the wrong
 * arguments, or an event nobody declared, does not compile. `emit` calls the listeners in order,
 * synchronously (like node's EventEmitter); `emitAndWait` awaits them all, for changes whose
 * consequences a caller must see done before it answers (an agent's phone provisioned before the
 * API request that created the agent returns).
 */
export class TypedEmitter<E extends { [K in keyof E]: unknown[] }> {
  private readonly listeners = new Map<keyof E, ((...args: never[]) => unknown)[]>();

  on<K extends keyof E>(name: K, fn: (...args: E[K]) => unknown): this {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn as (...args: never[]) => unknown]);
    return this;
  }

  off<K extends keyof E>(name: K, fn: (...args: E[K]) => unknown): this {
    this.listeners.set(name, (this.listeners.get(name) ?? []).filter((l) => l !== fn));
    return this;
  }

  emit<K extends keyof E>(name: K, ...args: E[K]): void {
    for (const l of this.listeners.get(name) ?? []) (l as (...a: E[K]) => unknown)(...args);
  }

  async emitAndWait<K extends keyof E>(name: K, ...args: E[K]): Promise<void> {
    for (const l of this.listeners.get(name) ?? []) await (l as (...a: E[K]) => unknown)(...args);
  }

  listenerCount<K extends keyof E>(name: K): number { return this.listeners.get(name)?.length ?? 0; }
}
