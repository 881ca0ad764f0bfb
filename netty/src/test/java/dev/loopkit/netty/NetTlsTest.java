package dev.loopkit.netty;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.loopkit.Loop;
import dev.loopkit.conformance.Capability;
import dev.loopkit.conformance.CarrierTest;
import dev.loopkit.conformance.LoopFixture;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS through Netty's {@code SslHandler}: a server with a self-signed certificate for 127.0.0.1
 * (made by the JDK's {@code keytool} for the test), a client that trusts it, and one that does not.
 */
class NetTlsTest {
  private static final char[] PASSWORD = "test-only".toCharArray();
  private static SSLContext server;
  private static SSLContext trusting;
  private static SSLContext untrusting;

  @BeforeAll
  static void makeCertificate(@TempDir Path dir) throws Exception {
    Path store = dir.resolve("server.p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process p =
        new ProcessBuilder(
                keytool.toString(),
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "san=ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                store.toString(),
                "-storepass",
                new String(PASSWORD))
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool failed: " + out);
    KeyStore keys = load(store);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, PASSWORD);
    server = SSLContext.getInstance("TLS");
    server.init(kmf.getKeyManagers(), null, null);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", keys.getCertificate("server"));
    trusting = SSLContext.getInstance("TLS");
    trusting.init(null, trustManagers(trust), null);
    KeyStore empty = KeyStore.getInstance("PKCS12");
    empty.load(null, null);
    untrusting = SSLContext.getInstance("TLS");
    untrusting.init(null, trustManagers(empty), null);
  }

  private static KeyStore load(Path store) throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, PASSWORD);
    }
    return ks;
  }

  private static javax.net.ssl.TrustManager[] trustManagers(KeyStore trust)
      throws GeneralSecurityException {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    return tmf.getTrustManagers();
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aTlsEchoServerAndItsClientSeeNodesEventsInOrder(LoopFixture f) {
    Loop loop = f.newLoop();
    List<String> serverLog = Collections.synchronizedList(new ArrayList<>());
    NetServer srv =
        Net.createServer(
            loop,
            NetOptions.DEFAULTS.withTls(server),
            s ->
                s.onData(
                        b -> {
                          serverLog.add("data " + new String(b, UTF_8));
                          s.write(b);
                        })
                    .onEnd(() -> serverLog.add("end"))
                    .onClose(e -> serverLog.add("close " + e)));
    InetSocketAddress at = f.await(loop, srv.listen(0));
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<NetSocket> client = new AtomicReference<>();
    f.onLoop(
        loop,
        () -> {
          NetSocket c =
              Net.connect(loop, "127.0.0.1", at.getPort(), NetOptions.DEFAULTS.withTls(trusting));
          client.set(c);
          c.onConnect(() -> log.add("connect"))
              .onData(
                  b -> {
                    log.add("data " + new String(b, UTF_8));
                    c.end();
                  })
              .onEnd(() -> log.add("end"))
              .onClose(e -> log.add("close " + e));
          c.write("secret"); // before the handshake: sent once it is done
        });
    assertEquals(false, f.await(loop, client.get().closed()));
    f.awaitCondition(loop, () -> serverLog.size() == 3 && log.size() == 4, "both closes");
    assertEquals(List.of("connect", "data secret", "end", "close false"), log);
    assertEquals(List.of("data secret", "end", "close false"), serverLog);
    f.await(loop, srv.close());
  }

  @CarrierTest(requires = Capability.OWN_THREADS)
  void aCertificateTheClientDoesNotTrustFailsTheConnection(LoopFixture f) {
    Loop loop = f.newLoop();
    NetServer srv =
        Net.createServer(loop, NetOptions.DEFAULTS.withTls(server), s -> s.onError(e -> {}));
    InetSocketAddress at = f.await(loop, srv.listen(0));
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<NetSocket> client = new AtomicReference<>();
    f.onLoop(
        loop,
        () ->
            client.set(
                Net.connect(
                        loop, "127.0.0.1", at.getPort(), NetOptions.DEFAULTS.withTls(untrusting))
                    .onConnect(() -> log.add("connect"))
                    .onError(e -> log.add("TLS error: " + (e instanceof SSLException)))
                    .onClose(e -> log.add("close " + e))));
    assertEquals(true, f.await(loop, client.get().closed()));
    f.awaitCondition(loop, () -> log.size() == 2, "the close callback");
    assertEquals(List.of("TLS error: true", "close true"), log);
    assertTrue(client.get().connected().isRejected(), "connected() rejected");
    Throwable why = client.get().connected().toCompletableFuture().handle((v, e) -> e).join();
    assertInstanceOf(SSLException.class, why);
    f.await(loop, srv.closeAllConnections());
  }
}
