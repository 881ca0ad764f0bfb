package dev.loopkit.spi;

/**
 * One configured offload pool.
 *
 * @param name the pool's name, as given to {@code Loop.offload(pool, task)}
 * @param kind {@code io} (work that waits) or {@code cpu} (work that computes)
 * @param size the number of threads (for {@code io} on carriers that do not give a pool threads of
 *     its own, virtual and fork-join: the most tasks that run at once, 0 meaning unbounded)
 * @param queueCapacity how many tasks may wait for a thread before offload is refused
 */
public record PoolSpec(String name, Kind kind, int size, int queueCapacity) {

  /** What kind of work a pool runs. */
  public enum Kind {
    /** Work that waits (files, databases, remote calls). */
    IO,
    /** Work that computes: always platform threads, sized to the cores. */
    CPU
  }
}
