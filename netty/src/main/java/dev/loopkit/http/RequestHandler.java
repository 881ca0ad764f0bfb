package dev.loopkit.http;

/**
 * Answers one HTTP request on the loop: called once per request, as a poll-phase callback of the
 * server's loop followed by the microtask checkpoint, when the request's head has arrived (its body
 * may still be arriving). It answers through {@code res}, now or later (from a promise's reaction,
 * a timer, any callback of the loop).
 *
 * <p>If it throws, the server answers 500 (or, if the answer had begun, closes the connection) and
 * the exception goes to the loop's uncaught-error handler.
 */
@FunctionalInterface
public interface RequestHandler {
  void handle(ServerRequest req, ServerResponse res) throws Exception;
}
