package dev.loopkit.netty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.loopkit.Loop;
import dev.loopkit.Promise;
import dev.loopkit.conformance.Capability;
import dev.loopkit.conformance.CarrierTest;
import dev.loopkit.conformance.LoopFixture;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.local.LocalAddress;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.TestInfo;

/**
 * The ordering rules around network I/O, one test per scenario, each doing with loopkit what the
 * CommonJS script {@code net-rules/<test name>.cjs} does with Node's {@code net} module, and
 * expecting the lines Node printed ({@code net-rules/<test name>.expected}). {@link
 * NetNodeRulesTest} runs the scripts under {@code node}. Programs run in program mode: the
 * listening server holds the loop until the script's last step closes it, as in Node. They run on
 * TCP where the carrier set-up has real sockets, and on Netty's local transport on every set-up (on
 * {@code manual}, deterministically, in virtual time).
 */
class NetRulesTest {

  /** Where the scripts and their expected output live on the test classpath. */
  static final String RULES = "net-rules";

  /** How many times each program runs. */
  private static final int REPEATS = 20;

  @CarrierTest
  void insideADataCallbackSetImmediateRunsBeforeSetTimeout0(LoopFixture f, TestInfo test) {
    repeated(
        f,
        test,
        log -> {
          Loop loop = Loop.current();
          NetServer server =
              Net.createServer(
                  loop,
                  socket ->
                      socket.onData(
                          chunk -> {
                            log.add("data " + new String(chunk, UTF_8));
                            loop.setTimeout(() -> log.add("timeout from data"), 0);
                            loop.setImmediate(() -> log.add("immediate from data"));
                            socket.end();
                          }));
          listen(
              server,
              dial -> {
                NetSocket client = dial.connect(loop);
                client.onConnect(() -> client.write("x"));
                client.onData(b -> {});
                client.onClose(e -> server.close());
              });
        });
  }

  @CarrierTest
  void ticksThenMicrotasksRunAfterEachSocketEventBeforeTheNext(LoopFixture f, TestInfo test) {
    repeated(
        f,
        test,
        log -> {
          Loop loop = Loop.current();
          NetServer[] server = new NetServer[1];
          server[0] =
              Net.createServer(
                  loop,
                  socket ->
                      socket
                          .onData(b -> traced(loop, log, "data"))
                          .onEnd(() -> traced(loop, log, "end"))
                          .onClose(
                              e -> {
                                log.add("close");
                                server[0].close();
                              }));
          listen(
              server[0],
              dial -> {
                NetSocket client = dial.connect(loop);
                client.onConnect(() -> client.end("x".getBytes(UTF_8)));
                client.onData(b -> {});
              });
        });
  }

  private static void traced(Loop loop, List<String> log, String name) {
    log.add(name);
    Promise.resolve(loop, 0).then(v -> log.add("microtask after " + name));
    loop.nextTick(() -> log.add("tick after " + name));
  }

  @CarrierTest
  void aServersConnectionCallbackRunsBeforeItsClientsConnectCallback(LoopFixture f, TestInfo test) {
    repeated(
        f,
        test,
        log -> {
          Loop loop = Loop.current();
          NetServer server =
              Net.createServer(
                  loop,
                  socket -> {
                    log.add("server connection");
                    loop.nextTick(() -> log.add("tick after connection"));
                    socket.end();
                  });
          listen(
              server,
              dial -> {
                NetSocket client = dial.connect(loop);
                client.onConnect(
                    () -> {
                      log.add("client connect");
                      loop.nextTick(() -> log.add("tick after connect"));
                    });
                client.onEnd(() -> log.add("client end"));
                client.onClose(
                    e -> {
                      log.add("client close");
                      server.close();
                    });
              });
        });
  }

  @CarrierTest
  void endRunsBeforeClose(LoopFixture f, TestInfo test) {
    repeated(
        f,
        test,
        log -> {
          Loop loop = Loop.current();
          NetServer server = Net.createServer(loop, socket -> socket.end("bye".getBytes(UTF_8)));
          listen(
              server,
              dial ->
                  dial.connect(loop)
                      .onData(chunk -> log.add("data " + new String(chunk, UTF_8)))
                      .onEnd(() -> log.add("end"))
                      .onClose(
                          hadError -> {
                            log.add("close " + hadError);
                            server.close();
                          }));
        });
  }

  @CarrierTest
  void dataAfterPauseWaitsForResume(LoopFixture f, TestInfo test) {
    repeated(
        f,
        test,
        log -> {
          Loop loop = Loop.current();
          NetServer server =
              Net.createServer(
                  loop,
                  socket ->
                      socket.onData(
                          chunk -> {
                            String s = new String(chunk, UTF_8);
                            log.add("data " + s);
                            if (s.equals("a")) {
                              socket.pause();
                              socket.write("ok"); // the client sends b now
                              loop.setTimeout(
                                  () -> {
                                    log.add("resume");
                                    socket.resume();
                                  },
                                  100);
                            } else {
                              socket.end();
                            }
                          }));
          listen(
              server,
              dial -> {
                NetSocket client = dial.connect(loop);
                client.onConnect(() -> client.write("a"));
                client.onData(b -> client.write("b"));
                client.onClose(e -> server.close());
              });
        });
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /** How a program's client reaches the server that listens. */
  interface Dial {
    NetSocket connect(Loop loop);
  }

  /** The transports a program runs on: TCP where the set-up has sockets, and the local one. */
  enum Transport {
    TCP,
    TCP_EPOLL,
    LOCAL
  }

  /** The transport of the program that runs now (the test's thread sets it for each run). */
  private static volatile Transport transport = Transport.LOCAL;

  /**
   * Listens on a free loopback port (or a fresh local address), then runs {@code then} with how to
   * connect to it (Node's listen callback).
   */
  private static void listen(NetServer server, Consumer<Dial> then) {
    if (transport != Transport.LOCAL) {
      server
          .listen("127.0.0.1", 0)
          .then(
              address -> {
                then.accept(loop -> Net.connect(loop, "127.0.0.1", address.getPort()));
                return null;
              });
    } else {
      server
          .listen(LocalAddress.ANY)
          .then(
              address -> {
                then.accept(loop -> Net.connect(loop, address));
                return null;
              });
    }
  }

  /**
   * Runs {@code program} as a program {@link #REPEATS} times (the order must not depend on how the
   * network's events happen to interleave), each time checking it logged what Node printed: on TCP
   * where the set-up has real sockets, and on the local transport everywhere ({@code manual}
   * included).
   */
  private static void repeated(LoopFixture f, TestInfo test, Consumer<List<String>> program) {
    String scenario = test.getTestMethod().orElseThrow().getName();
    List<Transport> transports = new ArrayList<>();
    if (f.has(Capability.REAL_SOCKETS)) {
      transports.add(Transport.TCP);
      if (Epoll.isAvailable()) {
        transports.add(Transport.TCP_EPOLL);
      }
    }
    transports.add(Transport.LOCAL);
    for (Transport t : transports) {
      transport = t;
      for (int i = 0; i < REPEATS; i++) {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        f.run(
            b -> t == Transport.TCP_EPOLL ? b.set(Transports.KEY, "epoll") : b,
            () -> program.accept(log));
        int run = i;
        assertEquals(
            expectedLines(scenario),
            List.copyOf(log),
            () -> "order of callbacks in " + scenario + " on " + t + ", run " + run);
      }
    }
  }

  /** The lines Node printed for {@code scenario}, from {@code <scenario>.expected}. */
  static List<String> expectedLines(String scenario) {
    String resource = RULES + "/" + scenario + ".expected";
    try (InputStream in = NetRulesTest.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new AssertionError("missing test resource " + resource);
      }
      return new String(in.readAllBytes(), UTF_8).lines().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
