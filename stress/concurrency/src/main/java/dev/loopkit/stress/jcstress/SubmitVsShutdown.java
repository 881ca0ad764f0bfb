package dev.loopkit.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.RejectedExecutionException;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressMeta;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * (c) A {@code submit} racing {@code shutdown()}: the task runs or its submit throws {@link
 * RejectedExecutionException} — never neither, never both. Result: ran, threw.
 */
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "accepted before the shutdown, and ran")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "rejected at submit")
@Outcome(id = "0, 0", expect = FORBIDDEN, desc = "accepted but never ran: lost")
@Outcome(expect = FORBIDDEN, desc = "rejected and ran, or ran twice")
public class SubmitVsShutdown {

  abstract static class Sample extends LoopSample {
    int ran; // written by the loop, read by the arbiter after close

    Sample(String carrier) {
      super(carrier);
    }

    final void submit(II_Result r) {
      try {
        loop.submit(() -> ran++);
      } catch (RejectedExecutionException e) {
        r.r2 = 1;
      }
    }

    final void shutdown() {
      loop.shutdown();
    }

    final void check(II_Result r) {
      finish();
      r.r1 = ran;
    }
  }

  @JCStressTest
  @JCStressMeta(SubmitVsShutdown.class)
  @State
  public static class SingleThread extends Sample {
    public SingleThread() {
      super(SINGLE_THREAD);
    }

    @Actor
    public void submitter(II_Result r) {
      submit(r);
    }

    @Actor
    public void closer() {
      shutdown();
    }

    @Arbiter
    public void arbiter(II_Result r) {
      check(r);
    }
  }

  @JCStressTest
  @JCStressMeta(SubmitVsShutdown.class)
  @State
  public static class ForkJoin extends Sample {
    public ForkJoin() {
      super(FORK_JOIN);
    }

    @Actor
    public void submitter(II_Result r) {
      submit(r);
    }

    @Actor
    public void closer() {
      shutdown();
    }

    @Arbiter
    public void arbiter(II_Result r) {
      check(r);
    }
  }

  @JCStressTest
  @JCStressMeta(SubmitVsShutdown.class)
  @State
  public static class Virtual extends Sample {
    public Virtual() {
      super(VIRTUAL);
    }

    @Actor
    public void submitter(II_Result r) {
      submit(r);
    }

    @Actor
    public void closer() {
      shutdown();
    }

    @Arbiter
    public void arbiter(II_Result r) {
      check(r);
    }
  }

  @JCStressTest
  @JCStressMeta(SubmitVsShutdown.class)
  @State
  public static class Manual extends Sample {
    public Manual() {
      super(MANUAL);
    }

    @Actor
    public void submitter(II_Result r) {
      submit(r);
    }

    @Actor
    public void closer() {
      shutdown();
    }

    @Arbiter
    public void arbiter(II_Result r) {
      check(r);
    }
  }
}
