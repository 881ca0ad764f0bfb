package dev.loopkit.spi;

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
}
