package dev.loopkit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The watchdog's bookkeeping of one loop, by synthetic looks (its reports on a real loop are
 * WatchdogTest's, on every carrier): one report per incident, past the threshold.
 */
class WatchdogSightingsTest {
  private static final long THRESHOLD = 100;

  @Test
  void aHeldLoopIsReportedOncePastItsThreshold() {
    Watchdog.Sightings s = new Watchdog.Sightings(THRESHOLD);
    assertEquals(-1, s.look(true, 7, 1_000)); // first seen
    assertEquals(-1, s.look(true, 7, 1_099));
    assertEquals(100, s.look(true, 7, 1_100));
    assertEquals(-1, s.look(true, 7, 1_200), "the same incident, reported already");
    assertEquals(-1, s.look(true, 8, 1_300), "it moved on: a new incident begins");
    assertEquals(150, s.look(true, 8, 1_450));
  }

  @Test
  void aLateSweepDoesNotReportTheSameIncidentAgain() {
    Watchdog.Sightings s = new Watchdog.Sightings(THRESHOLD);
    s.look(true, 7, 1_000);
    assertEquals(120, s.look(true, 7, 1_120));
    s.forget(); // a sweep came late: when it began is not to be trusted
    assertEquals(-1, s.look(true, 7, 1_500));
    assertEquals(-1, s.look(true, 7, 1_700), "still the incident reported at 1,120");
  }

  @Test
  void aLateSweepRestartsTheTimeOfAnIncidentNotYetReported() {
    Watchdog.Sightings s = new Watchdog.Sightings(THRESHOLD);
    s.look(true, 7, 1_000);
    s.forget();
    assertEquals(-1, s.look(true, 7, 1_150), "seen again, from now");
    assertEquals(-1, s.look(true, 7, 1_200));
    assertEquals(100, s.look(true, 7, 1_250));
  }

  @Test
  void betweenTurnsNothingHoldsTheLoop() {
    Watchdog.Sightings s = new Watchdog.Sightings(THRESHOLD);
    s.look(true, 7, 1_000);
    assertEquals(-1, s.look(false, 7, 1_200));
    assertEquals(-1, s.look(true, 7, 1_250), "seen again, from now");
    assertEquals(100, s.look(true, 7, 1_350));
  }
}
