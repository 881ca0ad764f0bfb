package dev.loopkit.benchmarks.http;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop load generator: {@code GET /} at a fixed rate, each request's latency measured from
 * the time the schedule meant to send it (not from when a connection was free), so a server that
 * stalls is charged for every request it held up (no coordinated omission).
 *
 * <p>A scheduler thread puts each request's intended time into a bounded queue on the schedule;
 * {@code connections} threads, each with its own keep-alive connection, take them in order, send,
 * and read the answer. The connections are made before the schedule starts. At most {@code
 * connections} requests are in flight and {@code queue} wait; a request that finds the queue full
 * is <em>dropped</em> (counted, never sent). After the schedule ends the generator waits up to
 * {@code drain} for the queue to empty; requests still unanswered then count as {@code unfinished};
 * the workers end as soon as nothing is left. A connection that fails counts an error and is opened
 * again.
 */
final class OpenLoop {
  private OpenLoop() {}

  /** What one run measured; latencies in milliseconds. */
  record Result(
      int rate,
      double seconds,
      long scheduled,
      long completed,
      long dropped,
      long errors,
      long unfinished,
      double p50Ms,
      double p99Ms,
      double p999Ms,
      double maxMs) {}

  static Result run(
      InetSocketAddress server,
      int rate,
      Duration duration,
      int connections,
      int queue,
      Duration drain)
      throws InterruptedException {
    if (rate <= 0 || connections <= 0 || queue <= 0) {
      throw new IllegalArgumentException("rate, connections, queue: each must be > 0");
    }
    long total = Math.max(1, (long) (rate * (duration.toNanos() / 1e9)));
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("rate × duration: too many requests for one run");
    }
    long[] latencies = new long[(int) total];
    AtomicInteger recorded = new AtomicInteger();
    AtomicLong errors = new AtomicLong();
    BlockingQueue<Long> intended = new ArrayBlockingQueue<>(queue);
    long period = 1_000_000_000L / rate;
    CountDownLatch ready = new CountDownLatch(connections);
    CountDownLatch go = new CountDownLatch(1);
    AtomicLong deadline = new AtomicLong();
    AtomicBoolean scheduled = new AtomicBoolean();
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      Thread w =
          Thread.ofPlatform()
              .daemon()
              .name("open-loop-" + i)
              .start(
                  () ->
                      work(
                          server, ready, go, intended, scheduled, deadline, latencies, recorded,
                          errors));
      workers.add(w);
    }
    ready.await(30, TimeUnit.SECONDS); // every connection made (or failed) before the schedule
    long start = System.nanoTime() + 10_000_000L;
    long end = start + total * period;
    deadline.set(end + drain.toNanos());
    go.countDown();
    long dropped = 0;
    for (long i = 0; i < total; i++) {
      long at = start + i * period;
      long wait;
      while ((wait = at - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      if (!intended.offer(at)) {
        dropped++;
      }
    }
    scheduled.set(true);
    for (Thread w : workers) {
      w.join(
          Math.max(1, TimeUnit.NANOSECONDS.toMillis(end + drain.toNanos() - System.nanoTime()))
              + 1000);
    }
    int n = Math.min(recorded.get(), latencies.length);
    long[] sorted = Arrays.copyOf(latencies, n);
    Arrays.sort(sorted);
    long unfinished = total - dropped - n;
    return new Result(
        rate,
        duration.toNanos() / 1e9,
        total,
        n,
        dropped,
        errors.get(),
        unfinished,
        percentile(sorted, 0.50),
        percentile(sorted, 0.99),
        percentile(sorted, 0.999),
        n == 0 ? Double.NaN : sorted[n - 1] / 1e6);
  }

  private static void work(
      InetSocketAddress server,
      CountDownLatch ready,
      CountDownLatch go,
      BlockingQueue<Long> intended,
      AtomicBoolean scheduled,
      AtomicLong deadline,
      long[] latencies,
      AtomicInteger recorded,
      AtomicLong errors) {
    Socket socket = null;
    InputStream in = null;
    OutputStream out = null;
    try {
      try {
        socket = connect(server);
        out = new BufferedOutputStream(socket.getOutputStream());
        in = new BufferedInputStream(socket.getInputStream());
      } catch (IOException e) {
        errors.incrementAndGet();
        closeQuietly(socket);
        socket = null;
      } finally {
        ready.countDown();
      }
      go.await();
      if (socket != null) {
        try {
          socket.setSoTimeout(soTimeout(deadline.get()));
        } catch (IOException e) {
          errors.incrementAndGet();
          closeQuietly(socket);
          socket = null;
        }
      }
      while (true) {
        long left = deadline.get() - System.nanoTime();
        if (left <= 0) {
          return;
        }
        Long at = intended.poll(Math.min(left, 100_000_000L), TimeUnit.NANOSECONDS);
        if (at == null) {
          if (scheduled.get() && intended.isEmpty()) {
            return; // the schedule is over and nothing waits: done before the deadline
          }
          continue;
        }
        try {
          if (socket == null) {
            socket = connect(server);
            socket.setSoTimeout(soTimeout(deadline.get()));
            out = new BufferedOutputStream(socket.getOutputStream());
            in = new BufferedInputStream(socket.getInputStream());
          }
          RawHttp.sendGet(out);
          RawHttp.Response r = RawHttp.read(in);
          long took = System.nanoTime() - at;
          if (!r.statusLine().contains(" 200 ")) {
            errors.incrementAndGet();
          } else {
            int slot = recorded.getAndIncrement();
            if (slot < latencies.length) {
              latencies[slot] = took;
            }
          }
        } catch (IOException e) {
          errors.incrementAndGet();
          closeQuietly(socket);
          socket = null;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeQuietly(socket);
    }
  }

  private static Socket connect(InetSocketAddress server) throws IOException {
    Socket socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(server, 5_000);
    return socket;
  }

  /** A read timeout that ends at {@code deadline} (a {@link System#nanoTime} value). */
  private static int soTimeout(long deadline) {
    return (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
  }

  static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }

  private static void closeQuietly(Socket s) {
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // nothing to do: the connection is gone either way
      }
    }
  }
}
