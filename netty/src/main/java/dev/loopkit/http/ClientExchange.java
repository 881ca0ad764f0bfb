package dev.loopkit.http;

import dev.loopkit.Promise;
import dev.loopkit.Timer;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/** One request of an {@link Agent}, from the call to its answer (loop, but for the promise). */
final class ClientExchange {
  private final Agent agent;
  private final String method;
  private final URI uri;
  private final Map<String, String> headers;
  private final byte @Nullable [] body;
  private final int maxResponseSize;
  private final Promise.Resolvers<ClientResponse> answer;
  private volatile boolean settled;
  private @Nullable Timer timer;
  private @Nullable ClientConnection connection; // the connection it is on, if any
  boolean retried;

  ClientExchange(
      Agent agent,
      String method,
      URI uri,
      Map<String, String> headers,
      byte @Nullable [] body,
      int maxResponseSize) {
    this.agent = agent;
    this.method = method;
    this.uri = uri;
    this.headers = headers;
    this.body = body;
    this.maxResponseSize = maxResponseSize;
    this.answer = Promise.withResolvers(agent.loop());
  }

  Promise<ClientResponse> promise() {
    return answer.promise();
  }

  String method() {
    return method;
  }

  URI uri() {
    return uri;
  }

  Map<String, String> headers() {
    return headers;
  }

  byte @Nullable [] body() {
    return body;
  }

  int maxResponseSize() {
    return maxResponseSize;
  }

  boolean settled() {
    return settled;
  }

  void on(ClientConnection c) {
    connection = c;
  }

  void armTimeout(Duration timeout) {
    try {
      timer = agent.loop().setTimeout(this::timedOut, timeout);
    } catch (RejectedExecutionException e) {
      // the loop is shutting down: no new timers; the loop's end closes the connection
    }
  }

  private void timedOut() {
    timer = null;
    if (fail(
        new TimeoutException(
            method + " " + uri + ": no answer within " + agent.timeoutMillis() + " ms"))) {
      if (connection != null) {
        connection.close();
      }
    }
  }

  boolean succeed(ClientResponse response) {
    if (settled) {
      return false;
    }
    settled = true;
    cancelTimer();
    agent.settled(this);
    answer.resolve(response);
    return true;
  }

  boolean fail(Throwable why) {
    if (settled) {
      return false;
    }
    settled = true;
    cancelTimer();
    agent.settled(this);
    answer.reject(why);
    return true;
  }

  private void cancelTimer() {
    Timer t = timer;
    if (t != null && agent.loop().inEventLoop()) {
      t.cancel();
      timer = null;
    }
  }

  @Override
  public String toString() {
    return method + " " + uri;
  }
}
