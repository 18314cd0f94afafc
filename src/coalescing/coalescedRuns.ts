/**
 * Runs per key, coalesced: a kick while that key's run is going makes one more run after it, never
 * two at once and never a lost change (the dispatcher per queue, the campaign dialer per agent).
 * A run that throws ends the key's runs; `failed` says so, and the next kick starts afresh.
 */
export class CoalescedRuns {
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();

  constructor(
    private readonly run: (key: string) => Promise<void>,
    private readonly failed: (key: string, err: Error) => void,
  ) {}

  kick(key: string): void {
    if (this.running.has(key)) { this.again.add(key); return; }
    this.running.add(key);
    void (async () => {
      try {
        do {
          this.again.delete(key);
          await this.run(key);
        } while (this.again.has(key));
      } catch (err) {
        this.failed(key, err as Error);
      } finally {
        this.running.delete(key);
      }
    })();
  }
}
