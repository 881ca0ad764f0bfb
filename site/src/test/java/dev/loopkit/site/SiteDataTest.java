package dev.loopkit.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pages' numbers come from the committed data, and a target is met only above its floor. */
class SiteDataTest {
  private static final Path MODULE = Path.of(".");

  @Test
  void aTargetIsMetOnlyWhenItsWholeErrorBarClearsTheFloor() {
    SiteData.Ratio r = new SiteData.Ratio("A:x", "A:y", 0.50, 0.03);
    assertFalse(new SiteData.Target("A", r, 0.5, 1).met(), "0.50 ± 0.03 reaches down to 0.47");
    assertTrue(new SiteData.Target("A", r, 0.47, 1).met());
    assertFalse(new SiteData.Target("A", r, 0.47, 1).goalMet());
  }

  @Test
  void forksAreSaidPerShapeOrOnceForTheSitting() throws IOException {
    ObjectMapper json = new ObjectMapper();
    assertEquals("1 fork", SiteData.forks(json.readTree("1")));
    assertEquals(
        "3 forks (A, B), 1 fork (C, D, E, O)",
        SiteData.forks(
            json.readTree("{\"C\": 1, \"A\": 3, \"O\": 1, \"B\": 3, \"E\": 1, \"D\": 1}")));
  }

  @Test
  void aRatioCarriesBothErrors() throws IOException {
    SiteData data = SiteData.load(MODULE);
    SiteData.Score a = data.score("A:loopkit-single-thread-setImmediate");
    SiteData.Score b = data.score("A:netty-nio-event-loop");
    SiteData.Ratio r = data.ratio(a.key(), b.key());
    assertEquals(a.ops() / b.ops(), r.value(), 1e-12);
    double relative = Math.sqrt(Math.pow(a.err() / a.ops(), 2) + Math.pow(b.err() / b.ops(), 2));
    assertEquals(r.value() * relative, r.error(), 1e-12);
  }

  @Test
  void placeholdersAreFilledFromTheDataAndAnUnknownOneFails() throws IOException {
    SiteData data = SiteData.load(MODULE);
    String filled = data.fill("{{ops A:netty-nio-event-loop}} at {{cmprange concurrency}}");
    assertTrue(filled.matches("[0-9.]+ M ops/s at [0-9,]+ to [0-9,]+"), filled);
    assertThrows(IllegalArgumentException.class, () -> data.fill("{{ops A:no-such-subject}}"));
    assertThrows(
        IllegalArgumentException.class,
        () -> data.fill("{{cmp wait loop/virtual 1024 noSuchField}}"));
  }

  @Test
  void everyShapeHasAChartWithAMarkPerScore() throws IOException {
    SiteData data = SiteData.load(MODULE);
    for (String shape : data.shapes()) {
      String svg = Charts.scores(data, shape);
      int rects = svg.split("<rect ", -1).length - 1;
      assertEquals(data.scores(shape).size(), rects, "shape " + shape);
    }
    String targets = Charts.targets(data);
    assertEquals(data.targets().size(), targets.split("<rect ", -1).length - 1);
  }

  @Test
  void theComparisonIsReadTolerantlyAndOnlyItsClosedLoopCellsAreQuoted(@TempDir Path dir)
      throws IOException {
    Path data = Files.createDirectories(dir.resolve("src/data/comparison"));
    Files.createDirectories(dir.resolve("src/data/benchmarks"));
    Files.copy(
        MODULE.resolve("src/data/benchmarks/summary.json"),
        dir.resolve("src/data/benchmarks/summary.json"));
    Files.writeString(
        data.resolve("comparison.json"),
        """
        {"run": {"started": "then", "newField": 1},
         "cells": [
          {"workload": "wait", "model": "loop/virtual", "concurrency": 16, "throughput": 100,
           "runs": 3, "throughputMin": 90, "throughputMax": 110, "mode": "closed"},
          {"workload": "wait", "model": "loop/virtual", "concurrency": 16, "throughput": 7,
           "mode": "open", "rate": 50},
          {"workload": "wait", "model": "loop/virtual", "concurrency": 4, "throughput": 50}
         ]}
        """);
    SiteData tolerant = SiteData.load(dir);
    assertEquals(
        "100 requests/s at 4 to 16 (then)",
        tolerant.fill(
            "{{cmp wait loop/virtual 16 throughput}} at {{cmprange concurrency}} ({{cmprun started}})"));
  }

  @Test
  void shapeFIsChartedWhenMeasuredAndOtherwiseSaidToBeNotMeasuredYet(@TempDir Path dir)
      throws IOException {
    Files.createDirectories(dir.resolve("src/data/benchmarks"));
    ObjectMapper json = new ObjectMapper();
    ObjectNode summary =
        (ObjectNode) json.readTree(MODULE.resolve("src/data/benchmarks/summary.json").toFile());
    ArrayNode results = json.createArrayNode();
    summary
        .withArray("results")
        .forEach(
            r -> {
              if (!r.path("shape").asText().equals("F")) {
                results.add(r);
              }
            });
    ArrayNode targets = json.createArrayNode();
    summary
        .withArray("targets")
        .forEach(
            t -> {
              if (!t.path("shape").asText().equals("F")) {
                targets.add(t);
              }
            });
    summary.set("results", results);
    summary.set("targets", targets);
    Path file = dir.resolve("src/data/benchmarks/summary.json");
    json.writeValue(file.toFile(), summary);
    String directive = "<!-- chart: bench F if-measured -->";
    String none = SiteGenerator.directives(dir, SiteData.load(dir), directive);
    assertTrue(none.contains("Shape F has not been measured"), none);
    assertFalse(none.contains("<svg"), none);

    // as summary.js writes them: one wrk run per figure (no error), c1000 suffixed
    for (String[] f :
        new String[][] {
          {"loopkit-single-thread-http", "90000"}, {"vertx-http", "80000"},
          {"loopkit-single-thread-http-c1000", "85000"}, {"vertx-http-c1000", "70000"}
        }) {
      results.add(
          json.createObjectNode()
              .put("shape", "F")
              .put("benchmark", "HttpSitting.wrk")
              .put("subject", f[0])
              .put("score", Double.parseDouble(f[1]))
              .putNull("error")
              .put("unit", "req/s"));
    }
    targets.add(
        json.createObjectNode()
            .put("shape", "F")
            .put("of", "F:loopkit-single-thread-http")
            .put("to", "F:vertx-http")
            .put("floor", 1.0)
            .putNull("goal"));
    json.writeValue(file.toFile(), summary);
    SiteData data = SiteData.load(dir);
    String chart = SiteGenerator.directives(dir, data, directive);
    assertEquals(4, chart.split("<rect ", -1).length - 1, chart);
    SiteData.Target f = data.targets().get(data.targets().size() - 1);
    assertEquals(90000.0 / 80000.0, f.ratio().value(), 1e-9);
    assertTrue(f.met(), "a ratio with no error bar is met when it clears the floor");
    assertTrue(chart.contains("one wrk run each: no error bar"), chart);

    // a sitting of several rounds: the median, with half the rounds' spread as its error
    for (com.fasterxml.jackson.databind.JsonNode r : results) {
      if (r.get("shape").asText().equals("F")) {
        ((ObjectNode) r).put("error", 4000.0);
      }
    }
    json.writeValue(file.toFile(), summary);
    String withRounds = SiteGenerator.directives(dir, SiteData.load(dir), directive);
    assertTrue(
        withRounds.contains("median of the rounds, whiskers: half their spread"), withRounds);
  }
}
