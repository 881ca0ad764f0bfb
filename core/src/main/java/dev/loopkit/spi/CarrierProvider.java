package dev.loopkit.spi;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Makes carriers of one kind; found by name through {@link java.util.ServiceLoader} (module path:
 * {@code provides}; class path: {@code META-INF/services}).
 */
public interface CarrierProvider {

  /** The name users give in {@code loopkit.carrier}, e.g. {@code single-thread}. */
  String name();

  /** The clock a loop of this carrier reads unless the configuration gives one. */
  default LoopClock defaultClock() {
    return LoopClock.system();
  }

  /** A new carrier for the loop that {@code driver} runs. Starts no thread yet. */
  Carrier create(LoopDriver driver);

  /**
   * The set-ups under which a conformance suite (the {@code loopkit-tck} artifact) runs this
   * carrier: each test of the suite runs once per set-up. The engine never reads them.
   *
   * <p>The default is one set-up named after the carrier, without settings, with the capability
   * {@link TestSetup#OWN_THREADS}: a carrier whose turns run by themselves on real threads, in real
   * time. A carrier declares more set-ups to cover its variations (a degenerate pool size, another
   * offload configuration), and the capabilities it has, so that the suite runs the tests that need
   * them and leaves out the ones that cannot apply.
   */
  default List<TestSetup> testSetups() {
    return List.of(new TestSetup(name(), Map.of(), Set.of(TestSetup.OWN_THREADS)));
  }

  /**
   * One way to run a carrier in a conformance suite.
   *
   * <p>The capabilities the suite knows, by name: {@value #OWN_THREADS} (turns run by themselves,
   * on threads the carrier or its executor provides, and real time passes), {@value #VIRTUAL_TIME}
   * (turns and time move only when the test steps the loop through {@code ManualControl}), {@value
   * #HELD_OFFLOADS} (offloads wait until the test runs them through {@code ManualControl}), {@value
   * #SUSPENDS_CALLBACKS} (a callback that blocks on a promise is suspended instead of refused),
   * {@value #REAL_SOCKETS} (a loop can wait for network I/O on real sockets, for a network module
   * such as {@code loopkit-netty}). A suite refuses a name it does not know.
   *
   * @param name the set-up's name in test reports, e.g. {@code fork-join-1}; unique among every
   *     carrier's set-ups
   * @param settings configuration keys and values the set-up adds (on top of {@code
   *     loopkit.carrier} set to the carrier's name), e.g. {@code loopkit.forkjoin.parallelism=1}
   * @param capabilities what loops of this set-up can do, from the names above
   */
  record TestSetup(String name, Map<String, String> settings, Set<String> capabilities) {
    /** Capability: turns run by themselves on real threads; real time passes. */
    public static final String OWN_THREADS = "OWN_THREADS";

    /** Capability: the test steps the loop and moves virtual time ({@code ManualControl}). */
    public static final String VIRTUAL_TIME = "VIRTUAL_TIME";

    /** Capability: offloads wait until the test runs them ({@code ManualControl}). */
    public static final String HELD_OFFLOADS = "HELD_OFFLOADS";

    /** Capability: a callback that blocks on a promise is suspended, not refused. */
    public static final String SUSPENDS_CALLBACKS = "SUSPENDS_CALLBACKS";

    /** Capability: a loop can wait for network I/O on real sockets. */
    public static final String REAL_SOCKETS = "REAL_SOCKETS";

    /**
     * Checks and copies the components.
     *
     * @throws NullPointerException if a component, a key, a value or a capability is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public TestSetup {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("name: must not be blank");
      }
      settings = Map.copyOf(Objects.requireNonNull(settings, "settings"));
      capabilities = Set.copyOf(Objects.requireNonNull(capabilities, "capabilities"));
    }
  }
}
