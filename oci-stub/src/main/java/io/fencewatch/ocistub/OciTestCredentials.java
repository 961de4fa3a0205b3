package io.fencewatch.ocistub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A throw-away API signing key and an OCI CLI/SDK config file ({@code ~/.oci/config} format) naming
 * it, as the SDK's {@code ConfigFileAuthenticationDetailsProvider} reads it. The fingerprint is the
 * MD5 of the DER public key, colon-separated, as the OCI console shows it.
 */
public final class OciTestCredentials {
    public static final String TENANCY = "ocid1.tenancy.oc1..aaaaaaaafencewatchstandin";
    public static final String USER = "ocid1.user.oc1..aaaaaaaafencewatchstandin";

    private final KeyPair keyPair;
    private final String fingerprint;
    private final Path configFile;
    private final Path keyFile;
    private final String profile;

    private OciTestCredentials(KeyPair keyPair, String fingerprint, Path configFile, Path keyFile, String profile) {
        this.keyPair = keyPair;
        this.fingerprint = fingerprint;
        this.configFile = configFile;
        this.keyFile = keyFile;
        this.profile = profile;
    }

    /** A new 2048-bit RSA key written (PKCS#8 PEM) with a config file in {@code dir}, under {@code profile}. */
    public static OciTestCredentials create(Path dir, String profile) {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
            gen.initialize(2048);
            KeyPair kp = gen.generateKeyPair();
            byte[] md5 = MessageDigest.getInstance("MD5").digest(kp.getPublic().getEncoded());
            String fp = HexFormat.ofDelimiter(":").formatHex(md5);
            Files.createDirectories(dir);
            Path key = dir.resolve("oci_api_key.pem");
            String pem = "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(kp.getPrivate().getEncoded())
                    + "\n-----END PRIVATE KEY-----\n";
            Files.writeString(key, pem, StandardCharsets.US_ASCII);
            Path config = dir.resolve("config");
            Files.writeString(config, "[" + profile + "]\n"
                    + "user=" + USER + "\n"
                    + "fingerprint=" + fp + "\n"
                    + "tenancy=" + TENANCY + "\n"
                    + "region=eu-frankfurt-1\n"
                    + "key_file=" + key.toAbsolutePath() + "\n", StandardCharsets.UTF_8);
            return new OciTestCredentials(kp, fp, config, key, profile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "tenancy/user/fingerprint", as the SDK writes it in the Authorization header. */
    public String keyId() {
        return TENANCY + "/" + USER + "/" + fingerprint;
    }

    public KeyPair keyPair() {
        return keyPair;
    }

    public Path configFile() {
        return configFile;
    }

    public Path keyFile() {
        return keyFile;
    }

    public String profile() {
        return profile;
    }

    /** A signer with this key, for hand-made requests. */
    public RequestSigner signer() {
        return new RequestSigner(keyId(), keyPair.getPrivate());
    }
}
