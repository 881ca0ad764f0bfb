/** The no-Guava acceptance test's program, as a module (for the module path run). */
module dev.loopkit.it.noguava {
  requires dev.loopkit.core;
}
