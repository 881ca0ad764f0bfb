package dev.loopkit.stress.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.loopkit.Promise;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressMeta;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * (g) {@code then} registered on one thread racing {@code resolve} on another: the reaction runs
 * exactly once, on the loop, with the value. Result: runs, ran on the loop, value seen.
 */
@Outcome(id = "1, 1, 7", expect = ACCEPTABLE, desc = "the reaction ran once, on the loop")
@Outcome(id = "0, 0, 0", expect = FORBIDDEN, desc = "the reaction never ran")
@Outcome(expect = FORBIDDEN, desc = "the reaction ran twice, off the loop, or saw another value")
public class ThenVsResolve {

  abstract static class Sample extends LoopSample {
    final Promise.Resolvers<Integer> resolvers = Promise.withResolvers(loop);
    // written by the reaction on the loop, read by the arbiter after close
    int runs;
    boolean onLoop = true;
    int value;

    Sample(String carrier) {
      super(carrier);
    }

    final void register() {
      resolvers
          .promise()
          .then(
              v -> {
                runs++;
                onLoop &= loop.inEventLoop();
                value = v;
                return null;
              });
    }

    final void resolve() {
      resolvers.resolve(7);
    }

    final void check(III_Result r) {
      finish();
      r.r1 = runs;
      r.r2 = runs > 0 && onLoop ? 1 : 0;
      r.r3 = value;
    }
  }

  @JCStressTest
  @JCStressMeta(ThenVsResolve.class)
  @State
  public static class SingleThread extends Sample {
    public SingleThread() {
      super(SINGLE_THREAD);
    }

    @Actor
    public void registrar() {
      register();
    }

    @Actor
    public void resolver() {
      resolve();
    }

    @Arbiter
    public void arbiter(III_Result r) {
      check(r);
    }
  }

  @JCStressTest
  @JCStressMeta(ThenVsResolve.class)
  @State
  public static class ForkJoin extends Sample {
    public ForkJoin() {
      super(FORK_JOIN);
    }

    @Actor
    public void registrar() {
      register();
    }

    @Actor
    public void resolver() {
      resolve();
    }

    @Arbiter
    public void arbiter(III_Result r) {
      check(r);
    }
  }

  @JCStressTest
  @JCStressMeta(ThenVsResolve.class)
  @State
  public static class Virtual extends Sample {
    public Virtual() {
      super(VIRTUAL);
    }

    @Actor
    public void registrar() {
      register();
    }

    @Actor
    public void resolver() {
      resolve();
    }

    @Arbiter
    public void arbiter(III_Result r) {
      check(r);
    }
  }
}
