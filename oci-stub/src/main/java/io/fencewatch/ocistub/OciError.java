package io.fencewatch.ocistub;

/**
 * An error as OCI services return it: an HTTP status and a JSON body {@code {"code": ..., "message": ...}}
 * (see Oracle's "API Errors" reference), plus an optional {@code retry-after} hint in seconds.
 */
public final class OciError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String code;
    private final Integer retryAfterSeconds;

    public OciError(int status, String code, String message) {
        this(status, code, message, null);
    }

    public OciError(int status, String code, String message, Integer retryAfterSeconds) {
        super(message);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static OciError notAuthenticated(String why) {
        // OCI says little to the caller; the stand-in says why in the message so that a failing test is readable.
        return new OciError(401, "NotAuthenticated",
                "The required information to complete authentication was not provided or was incorrect. (" + why + ")");
    }

    public static OciError notFound(String what) {
        return new OciError(404, "NotAuthorizedOrNotFound", "Authorization failed or requested resource not found: " + what);
    }

    public static OciError invalidParameter(String message) {
        return new OciError(400, "InvalidParameter", message);
    }

    public static OciError limitExceeded(String message) {
        return new OciError(400, "LimitExceeded", message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
