package io.fencewatch.processor;

/**
 * A record the processor refuses, with a stable reason word (header {@link DeadLetters#REASON}) and
 * a one-line message. Thrown by the checks and caught where the record becomes a dead letter.
 */
final class Rejection extends RuntimeException {
    private final String reason;

    Rejection(String reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    String reason() {
        return reason;
    }
}
