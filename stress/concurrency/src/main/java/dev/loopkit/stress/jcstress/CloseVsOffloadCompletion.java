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
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * (h) {@code close()} racing an offload's completion: the completion's callback runs, or the
 * promise rejects with a reason — never neither. The offload and its callbacks are made on the loop
 * (so the reaction is registered before the promise can settle); the task that makes them, or the
 * offload itself, may be refused once the loop shuts down. Result: fulfilled callback ran, rejected
 * callback ran with a reason, refused at submit.
 */
@Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "the completion's callback ran")
@Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "the promise rejected with a reason")
@Outcome(
    id = "0, 0, 1",
    expect = ACCEPTABLE,
    desc = "refused at submit (the loop was shutting down)")
@Outcome(id = "0, 0, 0", expect = FORBIDDEN, desc = "accepted, then neither callback ran")
@Outcome(expect = FORBIDDEN, desc = "more than one outcome")
public class CloseVsOffloadCompletion {

  abstract static class Sample extends LoopSample {
    // written on the loop, read by the arbiter after close
    int fulfilled;
    int rejected;
    int refused;

    Sample(String carrier) {
      super(carrier);
    }

    final void offload(III_Result r) {
      try {
        loop.execute(this::offloadOnLoop);
      } catch (RejectedExecutionException e) {
        r.r3 = 1;
      }
    }

    private void offloadOnLoop() {
      try {
        loop.offload(() -> 5)
            .then(v -> fulfilled += v == 5 ? 1 : 100, e -> rejected += e != null ? 1 : 100);
      } catch (RejectedExecutionException e) {
        refused++;
      }
    }

    final void close() {
      loop.close();
    }

    final void check(III_Result r) {
      finish();
      r.r1 = fulfilled;
      r.r2 = rejected;
      r.r3 += refused;
    }
  }

  @JCStressTest
  @JCStressMeta(CloseVsOffloadCompletion.class)
  @State
  public static class SingleThread extends Sample {
    public SingleThread() {
      super(SINGLE_THREAD);
    }

    @Actor
    public void producer(III_Result r) {
      offload(r);
    }

    @Actor
    public void closer() {
      close();
    }

    @Arbiter
    public void arbiter(III_Result r) {
      check(r);
    }
  }

  @JCStressTest
  @JCStressMeta(CloseVsOffloadCompletion.class)
  @State
  public static class ForkJoin extends Sample {
    public ForkJoin() {
      super(FORK_JOIN);
    }

    @Actor
    public void producer(III_Result r) {
      offload(r);
    }

    @Actor
    public void closer() {
      close();
    }

    @Arbiter
    public void arbiter(III_Result r) {
      check(r);
    }
  }

  @JCStressTest
  @JCStressMeta(CloseVsOffloadCompletion.class)
  @State
  public static class Virtual extends Sample {
    public Virtual() {
      super(VIRTUAL);
    }

    @Actor
    public void producer(III_Result r) {
      offload(r);
    }

    @Actor
    public void closer() {
      close();
    }

    @Arbiter
    public void arbiter(III_Result r) {
      check(r);
    }
  }
}
