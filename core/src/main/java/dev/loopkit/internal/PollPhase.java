package dev.loopkit.internal;

/**
 * The poll phase: the items of the poll queue ({@link PollQueue}) present when the phase began, in
 * arrival order, at most {@code loopkit.poll.maxBatch} of them that count (bookkeeping hand-ins
 * take no place); later arrivals wait for the next turn, so a chain of {@code execute} cannot
 * starve timers or immediates. A user task or a hand-in runs as a callback; a timer or an immediate
 * made off the loop joins its phase.
 *
 * <pre>{@code
 * Implementation notes
 *
 * Confined to the loop. First the I/O sources that were ready when the phase began (IoPolling),
 * then the queued items. ioLeft, end (the ticket past the pass's last item) and budget are the
 * resume position; polled counts the items taken, for shutdownGracefully's quiet period.
 * }</pre>
 */
final class PollPhase extends Phase {
  /** Whether a queued item takes a place in the batch (a hand-in may not). */
  private static boolean inBatch(Object item) {
    return !(item instanceof PollQueue.HandIn h) || h.inBatch();
  }

  private final EventLoop loop;
  private final PollQueue items;
  private final TaskQueue queue;
  private final int maxBatch;
  private final IoPolling io;
  private int ioLeft;
  private long end;
  private int budget;
  long polled; // items the phase took (loop)

  PollPhase(EventLoop loop, TurnDriver driver, PollQueue items) {
    super(driver);
    this.loop = loop;
    this.items = items;
    this.queue = items.queue;
    this.maxBatch = loop.config().pollMaxBatch();
    this.io = loop.io;
  }

  @Override
  void run() {
    if (!begun) {
      boolean tasks = queue.nextWritten();
      if (io.active()) {
        io.pollIfDue(tasks || !loop.immediates.isEmpty());
      }
      if (!tasks && !io.hasReady()) {
        return; // nothing polled: a chain of immediates pays no more than these reads
      }
      begin();
    }
    runPass();
  }

  /** Fixes the pass: the I/O sources ready now, and the queued items written by now. */
  private void begin() {
    begun = true;
    ioLeft = io.readyCount();
    end = queue.publishedEnd(maxBatch, PollPhase::inBatch);
    budget = maxBatch;
  }

  private void runPass() {
    while (ioLeft > 0 && loop.state() < Lifecycle.STOP) {
      ioLeft--;
      runCallback(io.next()); // a source that became ready: Netty's handling of its events
    }
    while (budget > 0 && loop.state() < Lifecycle.STOP) {
      Object item = queue.pollUpTo(end);
      if (item == null) {
        break;
      }
      budget--;
      polled++;
      if (driver.measuring()) { // a binder is bound: this item's wait may be sampled
        driver.taskTaken(queue.lastTicket());
      }
      switch (item) {
        case PollQueue.HandIn h -> {
          if (!h.inBatch()) {
            budget++; // bookkeeping: the tasks present when the phase began keep their places
          }
          runCallback(h.action());
        }
        case LoopTimer t -> {
          items.release();
          loop.timers.arrived(t);
        }
        case ImmediateTask im -> {
          items.release();
          loop.immediates.arrived(im);
        }
        default -> {
          items.release();
          runCallback((Runnable) item);
        }
      }
    }
    begun = false;
  }
}
