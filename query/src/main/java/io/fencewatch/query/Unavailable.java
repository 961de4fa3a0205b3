package io.fencewatch.query;

/**
 * The answer cannot be complete right now (rebalance, store migrating, peer down): the API replies
 * {@code 503} with {@code Retry-After}. The message is safe to show (no payloads, no addresses of
 * secrets).
 */
final class Unavailable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unavailable(String message) {
        super(message, null, false, false);
    }
}
