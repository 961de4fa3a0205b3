package io.fencewatch.collector.kube;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

import com.oracle.bmc.http.signing.RequestSigner;

import io.fabric8.kubernetes.client.OAuthTokenProvider;
import io.fencewatch.oci.OkeToken;

/**
 * fabric8's token hook for an OKE cluster: the in-process token of {@link OkeToken} (what
 * {@code oci ce cluster generate-token} prints), made again {@link #REFRESH_AHEAD} before it
 * expires. fabric8 asks before every request and again after a 401, so watches already open keep
 * running (OKE checks a token when a request starts) and every new request or reconnect carries a
 * fresh one. Thread-safe.
 */
public final class OkeTokenProvider implements OAuthTokenProvider {
    /** Made again this long before the four-minute expiry, so that clock skew never sends a stale one. */
    public static final Duration REFRESH_AHEAD = Duration.ofSeconds(60);

    private final RequestSigner signer;
    private final String region;
    private final String clusterOcid;
    private final Clock clock;
    private OkeToken current;
    private long generated;

    public OkeTokenProvider(RequestSigner signer, String region, String clusterOcid, Clock clock) {
        this.signer = Objects.requireNonNull(signer);
        this.region = Objects.requireNonNull(region);
        this.clusterOcid = Objects.requireNonNull(clusterOcid);
        this.clock = Objects.requireNonNull(clock);
        OkeToken.clusterRequestUri(region, clusterOcid); // refuses a bad region or OCID now, not at the first request
    }

    @Override
    public synchronized String getToken() {
        Instant now = clock.instant();
        if (current == null || !now.isBefore(current.expiresAt().minus(REFRESH_AHEAD))) {
            current = OkeToken.generate(signer, region, clusterOcid, clock);
            generated++;
        }
        return current.token();
    }

    /** How many tokens were made so far (a metric, and what tests check refreshes with). */
    public synchronized long tokensGenerated() {
        return generated;
    }
}
