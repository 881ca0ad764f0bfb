package dev.loopkit.examples.compare;

import dev.loopkit.Loop;
import dev.loopkit.LoopConfig;
import dev.loopkit.Promise;
import dev.loopkit.http.Agent;
import dev.loopkit.http.ClientResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * What the workloads of one cell call: a file, an embedded database behind a connection pool, an
 * HTTP service on loopback (in a process of its own: {@link Upstream}) and a password hash; each a
 * plain blocking call that checks its answer.
 *
 * <p>Only what the cell's workload needs is started, before any clock runs, and warmed up once. The
 * same services serve every model, so a model's figures differ only by how it runs requests. {@link
 * #close()} stops everything it started. The blocking calls are thread-safe.
 */
final class Services implements AutoCloseable {

  private final Settings settings;
  private final List<AutoCloseable> opened = new ArrayList<>();
  private Path file;
  private BlockingQueue<Connection> connections;
  private HttpClient client; // the thread models' blocking calls
  private final Map<Loop, Agent> agents = new ConcurrentHashMap<>(); // the loop models' clients
  private URI uri;

  private Services(Settings settings) {
    this.settings = settings;
  }

  /** Starts the services {@code workload} needs, and calls each once. */
  static Services start(Settings settings, Workload workload) {
    Services s = new Services(settings);
    try {
      if (workload.uses(Workload.FILE)) {
        s.openFile();
      }
      if (workload.uses(Workload.DB)) {
        s.openDatabase();
      }
      if (workload.uses(Workload.HTTP)) {
        s.startHttp();
      }
      workload.warmUp(s);
      return s;
    } catch (Exception e) {
      s.close();
      throw new IllegalStateException("cannot start the services of workload " + workload, e);
    }
  }

  // ---- file ----

  private void openFile() throws IOException {
    Path f = Files.createTempFile("loopkit-compare-", ".bin");
    byte[] bytes = new byte[settings.fileKib() * 1024];
    new java.util.Random(42).nextBytes(bytes);
    Files.write(f, bytes);
    file = f;
    opened.add(() -> Files.deleteIfExists(f));
  }

  /** Reads the whole file; fails if it comes back short. */
  int readFile() throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    if (bytes.length != settings.fileKib() * 1024) {
      throw new IOException("read " + bytes.length + " bytes of " + settings.fileKib() * 1024);
    }
    return bytes.length;
  }

  // ---- database ----

  /** Rows in the table; each query sums {@link #QUERY_ROWS} of them through the primary key. */
  static final int ROWS = 10_000;

  static final int QUERY_ROWS = 100;

  private void openDatabase() throws SQLException {
    String url = "jdbc:h2:mem:compare-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    connections = new ArrayBlockingQueue<>(settings.dbConnections());
    for (int i = 0; i < settings.dbConnections(); i++) {
      Connection c = DriverManager.getConnection(url, "sa", "");
      connections.add(c);
      opened.add(c);
    }
    Connection first = connections.peek();
    try (Statement s = first.createStatement()) {
      s.execute("CREATE TABLE items(id INT PRIMARY KEY, grp INT NOT NULL, score DOUBLE NOT NULL)");
      s.execute(
          "INSERT INTO items SELECT x, MOD(x, 97), SQRT(x) FROM SYSTEM_RANGE(1, " + ROWS + ")");
    }
    // DB_CLOSE_DELAY=-1 keeps the in-memory database until SHUTDOWN: close() runs this first
    // (it closes in reverse order), then closes the connections.
    opened.add(
        () -> {
          try (Statement s = first.createStatement()) {
            s.execute("SHUTDOWN");
          }
        });
  }

  /**
   * Takes a connection from the pool (waiting if none is free), sums {@link #QUERY_ROWS} rows at a
   * random place and gives the connection back; fails if the count is wrong.
   */
  long queryDatabase() throws SQLException, InterruptedException {
    Connection c = connections.take();
    try (PreparedStatement q =
        c.prepareStatement("SELECT COUNT(*), SUM(score) FROM items WHERE id BETWEEN ? AND ?")) {
      int from = 1 + ThreadLocalRandom.current().nextInt(ROWS - QUERY_ROWS + 1);
      q.setInt(1, from);
      q.setInt(2, from + QUERY_ROWS - 1);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        long count = rs.getLong(1);
        if (count != QUERY_ROWS) {
          throw new SQLException("counted " + count + " rows, expected " + QUERY_ROWS);
        }
        return count;
      }
    } finally {
      connections.add(c);
    }
  }

  // ---- HTTP on loopback, in a process of its own ----
  // Thread models call it with the JDK's client, blocking; loop models with loopkit's, on the loop.

  private void startHttp() throws IOException {
    Upstream upstream = Upstream.start(settings.httpMillis());
    opened.add(upstream);
    uri = upstream.uri();
    // The client's own work (completing responses) runs on two threads of its own, so the
    // threads it needs do not grow with the load and count the same for every model.
    ExecutorService clientThreads =
        Executors.newFixedThreadPool(
            2, Thread.ofPlatform().daemon().name("compare-http-client-", 0).factory());
    client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .executor(clientThreads)
            .build();
    opened.add(clientThreads::shutdownNow);
    opened.add(client);
    warmUpLoopClient();
  }

  /**
   * One call through loopkit's client on a loop of its own, before any clock runs: its classes
   * (Netty's transport and HTTP codec) load here, not in a loop model's first measured request.
   */
  private void warmUpLoopClient() {
    Loop loop = Loop.create(LoopConfig.builder().isolated().name("compare-warm-up").build());
    try {
      loop.submit(() -> callHttpOnLoop(loop)).get().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while warming up the loop's HTTP client", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the loop's HTTP client failed to warm up", e);
    } finally {
      releaseLoop(loop);
      loop.close();
    }
  }

  private HttpRequest request() {
    return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build();
  }

  /** Calls the service and waits for its answer; fails unless it is 200 with the whole body. */
  int callHttp() throws IOException, InterruptedException {
    return checked(client.send(request(), HttpResponse.BodyHandlers.ofByteArray()));
  }

  /**
   * Calls the service from {@code loop} with loopkit's HTTP client, whose I/O runs in the loop's
   * poll phase: a pool of kept-alive connections per loop, as many as the requests in flight need
   * (as the JDK's client opens them), each answer a promise of the loop; fails unless it is 200
   * with the whole body.
   */
  Promise<Integer> callHttpOnLoop(Loop loop) {
    Agent agent =
        agents.computeIfAbsent(
            loop,
            l -> Agent.create(l).maxConnectionsPerHost(65_536).timeout(Duration.ofSeconds(30)));
    return agent.request("GET", uri).then(Services::checked);
  }

  /** {@code loop}'s model is done: its idle connections close now, so the loop can end. */
  void releaseLoop(Loop loop) {
    Agent agent = agents.remove(loop);
    if (agent != null) {
      agent.closeIdleConnections();
    }
  }

  private static int checked(ClientResponse response) {
    if (response.status() != 200 || response.body().length != Upstream.BODY_BYTES) {
      throw new IllegalStateException(
          "HTTP " + response.status() + " with " + response.body().length + " bytes");
    }
    return response.status();
  }

  private static int checked(HttpResponse<byte[]> response) {
    if (response.statusCode() != 200 || response.body().length != Upstream.BODY_BYTES) {
      throw new IllegalStateException(
          "HTTP " + response.statusCode() + " with " + response.body().length + " bytes");
    }
    return response.statusCode();
  }

  // ---- CPU ----

  /** PBKDF2WithHmacSHA256 of a fixed password, {@code hashIterations} rounds, a 32-byte key. */
  byte[] hash() throws GeneralSecurityException {
    PBEKeySpec spec =
        new PBEKeySpec("password".toCharArray(), SALT, settings.hashIterations(), 256);
    try {
      byte[] key =
          SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
      if (key.length != 32) {
        throw new GeneralSecurityException("a key of " + key.length + " bytes");
      }
      return key;
    } finally {
      spec.clearPassword();
    }
  }

  private static final byte[] SALT =
      "loopkit-compare".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  // ---- remote wait ----

  /** How long the simulated remote call waits. */
  Duration remoteWait() {
    return Duration.ofMillis(settings.waitMillis());
  }

  @Override
  public void close() {
    RuntimeException failure = null;
    for (AutoCloseable c : opened.reversed()) {
      try {
        c.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("cannot close a comparison service", e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    opened.clear();
    if (failure != null) {
      throw failure;
    }
  }
}
