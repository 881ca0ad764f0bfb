package dev.loopkit.http;

import dev.loopkit.Loop;
import dev.loopkit.LoopTerminatedException;
import dev.loopkit.Promise;
import dev.loopkit.netty.NettyLoops;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP client of a loop (Node's {@code http.Agent}): it sends requests on the loop's own I/O
 * and keeps a pool of connections to each host, {@code host:port}: a connection whose answer came
 * back whole and that may be kept is reused for the next request to that host; at most {@link
 * #maxConnectionsPerHost} are open to one host, and requests beyond them wait, in order, for one to
 * be free. A connection idle for {@link #idleTimeout} is closed (an open one holds a program mode
 * loop, as any socket does).
 *
 * <p>Each request has a {@link #timeout}, counted from the call, that covers its wait for a
 * connection, the connection, and the whole answer: past it, its promise is rejected with a {@link
 * TimeoutException} and its connection closed. A host name that is not an IP address is resolved
 * off the loop (an {@code io} offload), so a slow resolver does not block the loop.
 *
 * <p>A loop's stop closes its connections: requests in flight are rejected (with the cause, or a
 * {@link LoopTerminatedException} once the loop has ended); none stays pending.
 *
 * <p>Settings are made before the first request; the methods may be called from any thread.
 */
public final class Agent {
  private final Loop loop;
  private volatile int maxConnectionsPerHost = 8;
  private volatile Duration timeout = Duration.ofSeconds(30);
  private volatile Duration idleTimeout = Duration.ofSeconds(2);
  private volatile int maxResponseSize = 64 * 1024 * 1024;
  private final Map<String, HostPool> hosts = new HashMap<>(); // loop

  private final Set<ClientExchange> unsettled = ConcurrentHashMap.newKeySet();

  private Agent(Loop loop) {
    this.loop = Objects.requireNonNull(loop, "loop");
    var unused =
        loop.terminationFuture()
            .whenComplete(
                (v, e) -> {
                  // a request whose start the stop dropped, or whose channel it closed unseen
                  for (ClientExchange x : List.copyOf(unsettled)) {
                    x.fail(new LoopTerminatedException("the loop " + loop.name() + " has ended"));
                  }
                });
  }

  /**
   * A new agent on {@code loop}, with its own connections (see {@link Http#agent} for the loop's).
   */
  public static Agent create(Loop loop) {
    return new Agent(loop);
  }

  /**
   * How many connections may be open to one host at a time; default 8.
   *
   * @throws IllegalArgumentException if {@code max} is below 1
   */
  public Agent maxConnectionsPerHost(int max) {
    if (max < 1) {
      throw new IllegalArgumentException(
          "maxConnectionsPerHost: " + max + " is not allowed; 1 or more");
    }
    maxConnectionsPerHost = max;
    return this;
  }

  /** The most connections open to one host at a time. */
  public int maxConnectionsPerHost() {
    return maxConnectionsPerHost;
  }

  /**
   * How long a request may take, from the call to the end of its answer; default 30 s.
   *
   * @throws IllegalArgumentException if {@code timeout} is below 1 ms or above 2³¹−1 ms
   */
  public Agent timeout(Duration timeout) {
    this.timeout = checkMillis("timeout", timeout);
    return this;
  }

  /**
   * How long a connection may stay idle in the pool before it is closed; default 2 s.
   *
   * @throws IllegalArgumentException if {@code timeout} is below 1 ms or above 2³¹−1 ms
   */
  public Agent idleTimeout(Duration timeout) {
    this.idleTimeout = checkMillis("idleTimeout", timeout);
    return this;
  }

  /**
   * The largest answer body accepted, in bytes (default 64 MiB): a larger one rejects the request.
   *
   * @throws IllegalArgumentException if {@code bytes} is negative
   */
  public Agent maxResponseSize(int bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException(
          "maxResponseSize: " + bytes + " is not allowed; 0 or more");
    }
    maxResponseSize = bytes;
    return this;
  }

  /** Sends {@code method} {@code uri} with no body; see {@link #request(String, URI, byte[])}. */
  public Promise<ClientResponse> request(String method, URI uri) {
    return request(method, uri, Map.of(), null);
  }

  /** Sends {@code method} {@code uri} with {@code body}; see the full form. */
  public Promise<ClientResponse> request(String method, URI uri, byte @Nullable [] body) {
    return request(method, uri, Map.of(), body);
  }

  /**
   * Sends a request and gives its whole answer: a promise of the loop, rejected with the cause if
   * the connection fails or closes first, or with a {@link TimeoutException} past the {@link
   * #timeout}. Any answer, 404 or 500 included, resolves it.
   *
   * @param method the method, such as {@code GET} (a token: letters, digits, {@code
   *     !#$%&'*+-.^_`|~})
   * @param uri an absolute {@code http} URI
   * @param headers headers to send besides {@code host}, {@code content-length} and {@code
   *     connection}, which the agent sets
   * @param body the body, or null for none
   * @throws IllegalArgumentException if the method is not a token, or the URI is not absolute
   *     {@code http} with a host
   * @throws IllegalStateException if the loop has terminated
   */
  public Promise<ClientResponse> request(
      String method, URI uri, Map<String, String> headers, byte @Nullable [] body) {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(headers, "headers");
    if (method.isEmpty() || !method.chars().allMatch(Agent::isTokenChar)) {
      throw new IllegalArgumentException("method: '" + method + "' is not an HTTP method token");
    }
    if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "uri: " + uri + " is not allowed; an absolute http URI with a host (https: not yet)");
    }
    if (loop.isTerminated()) {
      throw new IllegalStateException("request: the loop " + loop.name() + " has terminated");
    }
    ClientExchange exchange =
        new ClientExchange(
            this, method.toUpperCase(Locale.ROOT), uri, Map.copyOf(headers), body, maxResponseSize);
    Promise<ClientResponse> answer = exchange.promise();
    unsettled.add(exchange);
    try {
      NettyLoops.eventLoop(loop).execute(() -> start(exchange));
    } catch (RejectedExecutionException | IllegalStateException e) {
      exchange.fail(e);
    }
    return answer;
  }

  /** Closes the idle connections now (the busy ones close when their answers are in). */
  public void closeIdleConnections() {
    onLoop(() -> List.copyOf(hosts.values()).forEach(HostPool::closeIdle));
  }

  private void onLoop(Runnable action) {
    if (loop.inEventLoop()) {
      action.run();
    } else if (!loop.isTerminated()) {
      NettyLoops.eventLoop(loop).execute(action);
    }
  }

  // ---- on the loop ----

  private void start(ClientExchange exchange) {
    exchange.armTimeout(timeout);
    URI uri = exchange.uri();
    String host = uri.getHost();
    int port = uri.getPort() == -1 ? 80 : uri.getPort();
    String key = host.toLowerCase(Locale.ROOT) + ":" + port;
    HostPool pool = hosts.computeIfAbsent(key, k -> new HostPool(this, k, host, port));
    pool.enqueue(exchange);
  }

  /** Resolves {@code host} without blocking the loop: an IP address at once, a name offloaded. */
  Promise<InetSocketAddress> resolve(String host, int port) {
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (NetUtil.isValidIpV4Address(bare) || NetUtil.isValidIpV6Address(bare)) {
      return Promise.resolve(loop, new InetSocketAddress(bare, port));
    }
    return loop.offload(() -> new InetSocketAddress(InetAddress.getByName(bare), port));
  }

  /** {@code exchange} has settled (any thread). */
  void settled(ClientExchange exchange) {
    unsettled.remove(exchange);
  }

  void forget(HostPool pool) {
    hosts.remove(pool.key(), pool);
  }

  Loop loop() {
    return loop;
  }

  long timeoutMillis() {
    return timeout.toMillis();
  }

  Duration idleTimeout() {
    return idleTimeout;
  }

  private static boolean isTokenChar(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }

  private static Duration checkMillis(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.toMillis() < 1 || d.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(name + ": " + d + " is not allowed; 1 ms to 2^31-1 ms");
    }
    return d;
  }

  @Override
  public String toString() {
    return "Agent[" + loop.name() + ", " + hosts.size() + " hosts]";
  }

  /** The connections to one host, and the requests waiting for one (loop). */
  static final class HostPool {
    private final Agent agent;
    private final String key;
    private final String host;
    private final int port;
    private final ArrayDeque<ClientConnection> idle = new ArrayDeque<>();
    private final ArrayDeque<ClientExchange> waiting = new ArrayDeque<>();
    private int open; // connections open or opening

    HostPool(Agent agent, String key, String host, int port) {
      this.agent = agent;
      this.key = key;
      this.host = host;
      this.port = port;
    }

    String key() {
      return key;
    }

    void enqueue(ClientExchange exchange) {
      waiting.add(exchange);
      dispatch();
    }

    /** Gives waiting requests to idle connections, opening new ones up to the cap. */
    void dispatch() {
      while (!waiting.isEmpty()) {
        ClientExchange next = waiting.peek();
        if (next.settled()) {
          waiting.poll(); // timed out while waiting
          continue;
        }
        ClientConnection c = idle.poll();
        if (c != null) {
          waiting.poll();
          c.send(next, true);
        } else if (open < agent.maxConnectionsPerHost) {
          waiting.poll();
          open++;
          ClientConnection.open(this, next);
        } else {
          return;
        }
      }
      if (open == 0 && idle.isEmpty()) {
        agent.forget(this);
      }
    }

    /** A connection's answer is in and it may be kept: the next request, or the idle list. */
    void release(ClientConnection c) {
      idle.add(c);
      c.idleSince(agent.idleTimeout);
      dispatch();
    }

    /** A connection closed, or failed to open. */
    void closed(ClientConnection c) {
      idle.remove(c);
      open--;
      dispatch();
    }

    void closeIdle() {
      List.copyOf(idle).forEach(ClientConnection::close);
    }

    /** A request whose reused connection closed before any answer: sent again, once. */
    void retry(ClientExchange exchange) {
      waiting.addFirst(exchange);
      dispatch();
    }

    Agent agent() {
      return agent;
    }

    String host() {
      return host;
    }

    int port() {
      return port;
    }
  }
}
