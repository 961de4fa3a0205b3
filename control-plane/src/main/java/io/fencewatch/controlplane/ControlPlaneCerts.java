package io.fencewatch.controlplane;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The certificates of a test control plane, made in memory with BouncyCastle: a CA, the API
 * server's serving certificate (127.0.0.1, localhost), client certificates the API server trusts
 * (its CA is the client CA), and the service-account signing key pair. RSA 2048 throughout, which
 * every client here (Go, fabric8, the JDK) reads without extra providers.
 */
final class ControlPlaneCerts {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration VALIDITY = Duration.ofDays(2);

    /** A key pair and its certificate. */
    record Issued(KeyPair keys, X509Certificate cert) {
        String certPem() {
            return pem(cert);
        }

        String keyPem() {
            return pem(keys.getPrivate());
        }
    }

    private final Issued ca;
    private final Issued serving;
    private final KeyPair serviceAccountKeys;

    ControlPlaneCerts() {
        try {
            KeyPair caKeys = rsa();
            X500Name caName = new X500Name("CN=fencewatch-test-ca");
            X509v3CertificateBuilder b = builder(caName, caName, caKeys);
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            b.addExtension(Extension.subjectKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createSubjectKeyIdentifier(caKeys.getPublic()));
            ca = new Issued(caKeys, sign(b, caKeys));
            serving = issue("CN=kube-apiserver", KeyPurposeId.id_kp_serverAuth, true);
            serviceAccountKeys = rsa();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot make the control plane's certificates", e);
        }
    }

    Issued ca() {
        return ca;
    }

    Issued serving() {
        return serving;
    }

    /** A client certificate for {@code user}, in {@code groups} (the O= of the subject). */
    Issued client(String user, String... groups) {
        StringBuilder subject = new StringBuilder();
        for (String g : groups) {
            subject.append("O=").append(g).append(',');
        }
        subject.append("CN=").append(user);
        try {
            return issue(subject.toString(), KeyPurposeId.id_kp_clientAuth, false);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot make a client certificate for " + user, e);
        }
    }

    KeyPair serviceAccountKeys() {
        return serviceAccountKeys;
    }

    /** Writes a PEM file readable by the owner only. */
    static Path write(Path file, String pem) {
        try {
            Files.writeString(file, pem, StandardCharsets.US_ASCII);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** TLS to the API server as {@code client}, trusting only the control plane's CA. */
    SSLContext sslContext(Issued client) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", ca.cert());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] pass = "x".toCharArray();
            keys.setKeyEntry("client", client.keys().getPrivate(), pass,
                    new X509Certificate[] {client.cert(), ca.cert()});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, pass);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), RANDOM);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build the TLS context", e);
        }
    }

    static String pem(Object o) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private Issued issue(String subject, KeyPurposeId purpose, boolean server)
            throws GeneralSecurityException, IOException {
        KeyPair keys = rsa();
        X509v3CertificateBuilder b = builder(X500Name.getInstance(ca.cert().getSubjectX500Principal().getEncoded()),
                new X500Name(subject), keys);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
        b.addExtension(Extension.authorityKeyIdentifier, false,
                new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca.cert()));
        if (server) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.dNSName, InetAddress.getLoopbackAddress().getHostName()),
            }));
        }
        return new Issued(keys, sign(b, ca.keys()));
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, new BigInteger(63, RANDOM).add(BigInteger.ONE),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(VALIDITY)), subject, keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter()
                    .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(signer.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static KeyPair rsa() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048, RANDOM);
        return g.generateKeyPair();
    }
}
