package dev.loopkit.stress.negative;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.I_Result;

/**
 * A negative control, broken on purpose: two threads update a handler's counter directly, each with
 * a plain {@code count++}, instead of handing the update to the loop that owns the counter. Result:
 * the counter once both are done.
 *
 * <p>A read-modify-write on a plain {@code int} is not atomic, so one thread's increment overwrites
 * the other's often (thousands of times in a 500 ms run on 2 cores), and JCStress observes the
 * outcome declared FORBIDDEN below. The build runs this test on its own, after the real scenarios,
 * with {@code JCStressCheck --expect-forbidden}: the build fails unless the checker catches the
 * FORBIDDEN outcome, which proves that a real scenario's FORBIDDEN outcome would fail the build
 * too. Never add it to the real run, never "fix" it.
 */
@JCStressTest
@Outcome(id = "2", expect = ACCEPTABLE, desc = "both increments counted")
@Outcome(id = "1", expect = FORBIDDEN, desc = "an increment was lost (expected: broken on purpose)")
@State
public class LostUpdate {
  int count;

  @Actor
  public void first() {
    count++;
  }

  @Actor
  public void second() {
    count++;
  }

  @Arbiter
  public void arbiter(I_Result r) {
    r.r1 = count;
  }
}
