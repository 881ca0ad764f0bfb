package dev.loopkit.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.CountDownLatch;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressMeta;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * (e) A parked loop wakes for a task handed in from another thread (termination mode): the actor
 * waits for the task to run; the signal hands it in to the idle loop. STALE means the loop stayed
 * parked with a task queued. The actor closes the loop once the task ran (termination tests have no
 * arbiter).
 */
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the parked loop woke and ran the task")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "the loop stayed parked with a task queued")
public class ParkedLoopWakeup {

  abstract static class Sample extends LoopSample {
    final CountDownLatch ran = new CountDownLatch(1);

    Sample(String carrier) {
      super(carrier);
    }

    final void awaitTask() {
      try {
        ran.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // JCStress gave up on us: STALE
        return;
      }
      finish();
    }

    final void handIn() {
      loop.execute(ran::countDown);
    }
  }

  @JCStressTest(Mode.Termination)
  @JCStressMeta(ParkedLoopWakeup.class)
  @State
  public static class SingleThread extends Sample {
    public SingleThread() {
      super(SINGLE_THREAD);
    }

    @Actor
    public void waiter() {
      awaitTask();
    }

    @Signal
    public void producer() {
      handIn();
    }
  }

  @JCStressTest(Mode.Termination)
  @JCStressMeta(ParkedLoopWakeup.class)
  @State
  public static class ForkJoin extends Sample {
    public ForkJoin() {
      super(FORK_JOIN);
    }

    @Actor
    public void waiter() {
      awaitTask();
    }

    @Signal
    public void producer() {
      handIn();
    }
  }

  @JCStressTest(Mode.Termination)
  @JCStressMeta(ParkedLoopWakeup.class)
  @State
  public static class Virtual extends Sample {
    public Virtual() {
      super(VIRTUAL);
    }

    @Actor
    public void waiter() {
      awaitTask();
    }

    @Signal
    public void producer() {
      handIn();
    }
  }
}
