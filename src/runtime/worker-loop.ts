import type { AppContext } from '../app/context.js';
import { type RetryPolicy, settleDelivery } from '../app/settle-delivery.js';
import type { Queue } from '../ports.js';

export interface WorkerOptions {
  /** Messages processed at once. */
  concurrency: number;
  /** Lease on a received message; past it, a crashed worker's message is delivered again. */
  visibilityMs: number;
  /** Wait between polls of an empty queue (wake() cuts it short). */
  pollMs: number;
  retry: RetryPolicy;
}

/** Polls the queue and settles each delivery; stop() finishes what it started and takes nothing new. */
export class WorkerLoop {
  private running = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private wakeUp: (() => void) | undefined;
  /** Set by wake(); a wake between a poll and the sleep after it is not lost. */
  private woken = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly ctx: AppContext,
    private readonly queue: Queue,
    private readonly options: WorkerOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** New work arrived: poll now. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  private async run(): Promise<void> {
    while (this.running) {
      const free = this.options.concurrency - this.inFlight.size;
      if (free <= 0) {
        await Promise.race(this.inFlight);
        continue;
      }
      this.woken = false;
      let received: Awaited<ReturnType<Queue['receive']>> = [];
      try {
        received = await this.queue.receive(free, this.options.visibilityMs);
      } catch (error) {
        this.ctx.logger.error('queue receive failed', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
      for (const delivery of received) {
        const task = settleDelivery(this.ctx, this.queue, this.options.retry, delivery)
          .catch((error: unknown) => {
            // The lease expires and the message comes back; nothing is lost.
            this.ctx.logger.error('delivery not settled', {
              request_id: delivery.requestId,
              error: error instanceof Error ? error.message : String(error),
            });
          })
          .finally(() => {
            this.inFlight.delete(task);
            this.wake();
          });
        this.inFlight.add(task);
      }
      if (received.length === 0 && this.running) await this.sleep(this.options.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      this.wakeUp = done;
    });
  }
}
