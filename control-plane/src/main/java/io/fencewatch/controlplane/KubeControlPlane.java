package io.fencewatch.controlplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kubernetes control plane on 127.0.0.1, for tests: etcd, kube-apiserver and
 * kube-controller-manager (namespace and garbage-collector controllers, so a namespace deletion
 * completes; {@link #WORKLOAD_CONTROLLERS} for the sandbox, where a Deployment makes its pods), run as child processes from the binaries that {@code test-support/control-plane/build.sh}
 * builds from their Go modules. The flags are the minimal ones envtest uses: etcd with its data in a
 * temporary directory, the API server with TLS, a client CA, a service-account signing key and
 * {@code --authorization-mode=RBAC}. The admin user ({@code system:masters}) authenticates with a
 * client certificate; {@link #kubeconfig()} holds it.
 *
 * <p>Each process runs under a small {@code sh} watchdog that kills it when this JVM's end of its
 * stdin pipe closes, so nothing outlives the JVM, not even after a {@code kill -9}.
 * {@link #close()} (safe twice) stops them and deletes the directory.
 */
public final class KubeControlPlane implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KubeControlPlane.class);
    /** System property naming the folder that holds the three binaries. */
    public static final String DIR_PROPERTY = "fencewatch.control-plane.dir";
    /** Environment variable naming the same folder (the property wins). */
    public static final String DIR_ENV = "FENCEWATCH_CONTROL_PLANE_DIR";
    public static final List<String> BINARIES = List.of("etcd", "kube-apiserver", "kube-controller-manager");
    /** The admin user of {@link #kubeconfig()}, in group {@code system:masters}. */
    public static final String ADMIN_USER = "fencewatch-admin";
    public static final String SERVICE_CLUSTER_IP_RANGE = "10.0.0.0/24";
    private static final String HOST = "127.0.0.1";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path binaries;
    private final Path dir;
    private final String contextName;
    private final List<String> controllers;
    private final ControlPlaneCerts certs = new ControlPlaneCerts();
    private final ControlPlaneCerts.Issued admin;
    private final SSLContext adminTls;
    private final HttpClient http;
    private final List<Process> processes = new ArrayList<>();
    private final java.util.Map<String, List<String>> launched = new java.util.LinkedHashMap<>();
    private final int etcdPort;
    private final int apiPort;
    private final Thread reaper;
    private boolean closed;

    private KubeControlPlane(Path binaries, int apiPort, String contextName, List<String> controllers) {
        this.controllers = List.copyOf(controllers);
        this.binaries = binaries;
        this.contextName = contextName;
        try {
            this.dir = Files.createTempDirectory("fencewatch-kube-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the control plane's directory", e);
        }
        this.etcdPort = freePort();
        this.apiPort = apiPort > 0 ? apiPort : freePort();
        this.admin = certs.client(ADMIN_USER, "system:masters");
        this.adminTls = certs.sslContext(admin);
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(adminTls).connectTimeout(Duration.ofSeconds(5)).build();
        this.reaper = new Thread(() -> {
            destroyAll();
            deleteRecursively(dir);
        }, "fencewatch-kube-control-plane-stop");
    }

    /** The folder with the binaries: {@value #DIR_PROPERTY}, {@value #DIR_ENV}, or the build script's default. */
    public static Path binariesDir() {
        String p = System.getProperty(DIR_PROPERTY);
        if (p == null || p.isBlank()) {
            p = System.getenv(DIR_ENV);
        }
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "fencewatch", "control-plane", "latest");
    }

    /** Null when {@code dir} holds the three binaries, else why not (one line). */
    public static String missingBinaries(Path dir) {
        List<String> missing = BINARIES.stream().filter(b -> !Files.isExecutable(dir.resolve(b))).toList();
        return missing.isEmpty() ? null
                : "no " + String.join(", ", missing) + " in " + dir
                        + " (built by test-support/control-plane/build.sh, which needs Go)";
    }

    /** The controllers the tests' control plane runs: a namespace deletion completes, owners' dependents are collected. */
    public static final List<String> MINIMAL_CONTROLLERS = List.of("namespace-controller", "garbage-collector-controller");
    /**
     * Also the workload controllers (no scheduler, no kubelet: their pods stay Pending), and the one that gives each
     * namespace the default ServiceAccount pods need to be admitted: what {@code fencewatch sandbox
     * --control-plane=real} runs, so that {@code kubectl create deployment} makes pods as on a cluster.
     */
    public static final List<String> WORKLOAD_CONTROLLERS = List.of("namespace-controller",
            "garbage-collector-controller", "serviceaccount-controller", "deployment-controller",
            "replicaset-controller", "statefulset-controller", "daemonset-controller", "job-controller",
            "cronjob-controller");

    /** Starts etcd, the API server and the controller manager from {@link #binariesDir()}; returns once the API is ready. */
    public static KubeControlPlane start() {
        return start(binariesDir(), 0, "fencewatch-real");
    }

    /**
     * Starts a control plane from {@code binaries}; {@code apiPort} 0 = a free port; {@code contextName}
     * names the cluster, user and context of the kubeconfig.
     */
    public static KubeControlPlane start(Path binaries, int apiPort, String contextName) {
        return start(binaries, apiPort, contextName, MINIMAL_CONTROLLERS);
    }

    /** As {@link #start(Path, int, String)}, with kube-controller-manager running {@code controllers}. */
    public static KubeControlPlane start(Path binaries, int apiPort, String contextName, List<String> controllers) {
        String missing = missingBinaries(binaries);
        if (missing != null) {
            throw new IllegalStateException(missing);
        }
        KubeControlPlane cp = new KubeControlPlane(binaries, apiPort, contextName, controllers);
        try {
            cp.boot();
            return cp;
        } catch (RuntimeException e) {
            cp.close();
            throw e;
        }
    }

    /** {@code https://127.0.0.1:<port>}. */
    public String url() {
        return "https://" + HOST + ":" + apiPort;
    }

    public int apiPort() {
        return apiPort;
    }

    /** The admin kubeconfig (client certificate, {@code system:masters}). */
    public Path kubeconfig() {
        return dir.resolve("admin.kubeconfig");
    }

    /** The control plane's working directory (certificates, etcd data, logs). */
    public Path dir() {
        return dir;
    }

    /** The CA that signed the serving certificate and every client certificate, PEM. */
    public String caPem() {
        return certs.ca().certPem();
    }

    /** TLS as the admin user, trusting the control plane's CA only. */
    public SSLContext adminSslContext() {
        return adminTls;
    }

    /** Writes the admin kubeconfig to {@code file} (for example a sandbox's data directory). */
    public Path writeKubeconfig(Path file) {
        try {
            Files.copy(kubeconfig(), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** A kubeconfig whose user authenticates with a bearer token (a service account's, say). */
    public String tokenKubeconfig(String user, String token) {
        return kubeconfigYaml(user, "    token: " + token + "\n");
    }

    /** A kubeconfig for a new client-certificate user {@code user} in {@code groups}. */
    public String certificateKubeconfig(String user, String... groups) {
        ControlPlaneCerts.Issued c = certs.client(user, groups);
        return kubeconfigYaml(user, "    client-certificate-data: " + b64(c.certPem()) + "\n"
                + "    client-key-data: " + b64(c.keyPem()) + "\n");
    }

    /** One admin request to the API server: {@code method path} with an optional JSON body. */
    public HttpResponse<String> request(String method, String path, String jsonBody) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(30))
                .header("Accept", "application/json");
        if (jsonBody != null) {
            b.header("Content-Type", method.equals("PATCH") ? "application/merge-patch+json" : "application/json");
        }
        b.method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(jsonBody));
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The last lines of one process's log ({@code etcd}, {@code kube-apiserver}, {@code kube-controller-manager}). */
    public String logTail(String binary, int lines) {
        Path log = dir.resolve(binary + ".log");
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }

    /** True while all three processes run. */
    public boolean running() {
        synchronized (processes) {
            return !closed && processes.size() == BINARIES.size() && processes.stream().allMatch(Process::isAlive);
        }
    }

    @Override
    public void close() {
        synchronized (processes) {
            if (closed) {
                return;
            }
            closed = true;
        }
        destroyAll();
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException | IllegalArgumentException e) {
            LOG.debug("shutdown hook already running or never added: {}", e.toString());
        }
        deleteRecursively(dir);
    }

    private void boot() {
        long t0 = System.nanoTime();
        Runtime.getRuntime().addShutdownHook(reaper);
        Path pki = mkdir(dir.resolve("pki"));
        Path caFile = ControlPlaneCerts.write(pki.resolve("ca.crt"), certs.ca().certPem());
        Path servingCert = ControlPlaneCerts.write(pki.resolve("apiserver.crt"), certs.serving().certPem());
        Path servingKey = ControlPlaneCerts.write(pki.resolve("apiserver.key"), certs.serving().keyPem());
        Path saPub = ControlPlaneCerts.write(pki.resolve("sa.pub"),
                ControlPlaneCerts.pem(certs.serviceAccountKeys().getPublic()));
        Path saKey = ControlPlaneCerts.write(pki.resolve("sa.key"),
                ControlPlaneCerts.pem(certs.serviceAccountKeys().getPrivate()));
        writeFile(kubeconfig(), kubeconfigYaml(ADMIN_USER, "    client-certificate-data: " + b64(admin.certPem()) + "\n"
                + "    client-key-data: " + b64(admin.keyPem()) + "\n"));

        String etcdUrl = "http://" + HOST + ":" + etcdPort;
        int peerPort = freePort();
        launch("etcd", List.of(
                "--name=fencewatch", "--data-dir=" + mkdir(dir.resolve("etcd")),
                "--listen-client-urls=" + etcdUrl, "--advertise-client-urls=" + etcdUrl,
                "--listen-peer-urls=http://" + HOST + ":" + peerPort,
                "--initial-advertise-peer-urls=http://" + HOST + ":" + peerPort,
                "--initial-cluster=fencewatch=http://" + HOST + ":" + peerPort,
                // A test cluster: losing the last writes on a host crash is fine, fsync on 2 shared cores is not.
                "--unsafe-no-fsync=true", "--log-level=warn"));
        waitFor("etcd", () -> ok(HttpClient.newHttpClient(), etcdUrl + "/health"));

        launch("kube-apiserver", List.of(
                "--bind-address=" + HOST, "--advertise-address=" + HOST, "--secure-port=" + apiPort,
                "--etcd-servers=" + etcdUrl,
                "--cert-dir=" + mkdir(dir.resolve("apiserver-certs")),
                "--tls-cert-file=" + servingCert, "--tls-private-key-file=" + servingKey,
                "--client-ca-file=" + caFile,
                "--service-account-key-file=" + saPub, "--service-account-signing-key-file=" + saKey,
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--service-cluster-ip-range=" + SERVICE_CLUSTER_IP_RANGE,
                "--authorization-mode=RBAC",
                // Loopback is refused as the kubernetes Service's endpoint; nothing here needs that endpoint.
                "--endpoint-reconciler-type=none",
                "--profiling=false", "--v=1"));
        waitFor("kube-apiserver", () -> request("GET", "/readyz", null).statusCode() == 200
                && Stream.of("default", "kube-system", "kube-public", "kube-node-lease")
                        .allMatch(ns -> request("GET", "/api/v1/namespaces/" + ns, null).statusCode() == 200));

        launch("kube-controller-manager", List.of(
                "--kubeconfig=" + kubeconfig(),
                "--controllers=" + String.join(",", controllers),
                "--leader-elect=false", "--secure-port=0", "--v=1"));
        LOG.info("control plane ready at {} in {} ms (dir {})", url(), (System.nanoTime() - t0) / 1_000_000, dir);
    }

    private String kubeconfigYaml(String user, String credentials) {
        return """
                apiVersion: v1
                kind: Config
                clusters:
                - name: %1$s
                  cluster:
                    server: %2$s
                    certificate-authority-data: %3$s
                users:
                - name: %4$s
                  user:
                %5$scontexts:
                - name: %1$s
                  context:
                    cluster: %1$s
                    user: %4$s
                current-context: %1$s
                """.formatted(contextName, url(), b64(certs.ca().certPem()), user, credentials);
    }

    /**
     * Stops kube-apiserver, runs {@code whileDown} (for example {@link #etcdDelete} and
     * {@link #etcdCompact()}, changes no client can watch), and starts it again on the same port;
     * returns once it is ready. Clients' watches break, and resume from a now compacted
     * resourceVersion: {@code 410 Gone}, then a relist, as after an API server restart on a real cluster.
     */
    public void restartApiServer(Runnable whileDown) {
        Process api;
        synchronized (processes) {
            api = processes.get(1);
        }
        stop(api);
        whileDown.run();
        synchronized (processes) {
            processes.remove(api);
        }
        launch("kube-apiserver", launched.get("kube-apiserver"));
        synchronized (processes) {
            // keep the order etcd, kube-apiserver, kube-controller-manager
            Process restarted = processes.remove(processes.size() - 1);
            processes.add(1, restarted);
        }
        waitFor("kube-apiserver", processes.get(1), () -> request("GET", "/readyz", null).statusCode() == 200);
    }

    /** Deletes one key from etcd directly (the API server never sees it as a change); the revision after. */
    public long etcdDelete(String key) {
        String body = "{\"key\":\"" + Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8)) + "\"}";
        String out = etcd("/v3/kv/deleterange", body);
        if (!out.contains("\"deleted\":\"1\"")) {
            throw new IllegalStateException("etcd did not delete " + key + ": " + out);
        }
        return revision(out);
    }

    /** Compacts etcd's history up to its current revision: older resourceVersions are gone for good. */
    public long etcdCompact() {
        long rev = revision(etcd("/v3/kv/range", "{\"key\":\"" + Base64.getEncoder().encodeToString(
                "/registry/namespaces/default".getBytes(StandardCharsets.UTF_8)) + "\"}"));
        etcd("/v3/kv/compaction", "{\"revision\":\"" + rev + "\",\"physical\":true}");
        return rev;
    }

    private String etcd(String path, String json) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://" + HOST + ":" + etcdPort + path)).timeout(Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("etcd " + path + ": " + r.statusCode() + " " + r.body());
            }
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException("etcd " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static long revision(String etcdJson) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"revision\":\"(\\d+)\"").matcher(etcdJson);
        if (!m.find()) {
            throw new IllegalStateException("no revision in etcd's answer: " + etcdJson);
        }
        return Long.parseLong(m.group(1));
    }

    private void launch(String binary, List<String> args) {
        launched.put(binary, args);
        List<String> cmd = new ArrayList<>();
        // The watchdog: the binary runs in the background; when our end of stdin closes (this JVM
        // exited, however it exited) `cat` returns and the binary is killed.
        // (A background job's stdin is /dev/null unless redirected, hence fd 3.)
        cmd.addAll(List.of("/bin/sh", "-c", "exec 3<&0; \"$@\" </dev/null & child=$!; "
                + "(cat <&3 >/dev/null; kill -9 $child 2>/dev/null) & watcher=$!; "
                + "wait $child; status=$?; kill $watcher 2>/dev/null; exit $status", "sh"));
        cmd.add(binaries.resolve(binary).toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve(binary + ".log").toFile());
        try {
            synchronized (processes) {
                processes.add(pb.start());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + binary + ": " + e.getMessage(), e);
        }
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private void waitFor(String what, Check check) {
        Process last;
        synchronized (processes) {
            last = processes.get(processes.size() - 1);
        }
        waitFor(what, last, check);
    }

    private void waitFor(String what, Process p, Check check) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException(what + " exited with " + p.exitValue() + ":\n" + logTail(what, 30));
            }
            try {
                if (check.ok()) {
                    return;
                }
            } catch (Exception e) {
                last = e;
            }
            try {
                p.waitFor(100, java.util.concurrent.TimeUnit.MILLISECONDS); // a poll interval that ends early if it dies
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting " + what, e);
            }
        }
        throw new IllegalStateException(what + " not ready within " + START_TIMEOUT.toSeconds() + " s"
                + (last != null ? " (" + last + ")" : "") + ":\n" + logTail(what, 30));
    }

    private static boolean ok(HttpClient client, String url) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
    }

    private void destroyAll() {
        List<Process> ps;
        synchronized (processes) {
            ps = new ArrayList<>(processes);
            processes.clear();
        }
        // Reverse order: the controller manager, then the API server, then etcd.
        for (int i = ps.size() - 1; i >= 0; i--) {
            stop(ps.get(i));
        }
    }

    private static void stop(Process p) {
        try {
            p.getOutputStream().close(); // the watchdog kills the binary
        } catch (IOException e) {
            LOG.debug("closing a watchdog's stdin: {}", e.toString());
        }
        try {
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private static String b64(String pem) {
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
    }

    private static Path mkdir(Path p) {
        try {
            return Files.createDirectories(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + p, e);
        }
    }

    private static void writeFile(Path file, String content) {
        try {
            Files.writeString(file, content, StandardCharsets.UTF_8);
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName(HOST))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port on " + HOST, e);
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.debug("cannot delete {}: {}", p, e.toString());
                }
            });
        } catch (IOException e) {
            LOG.warn("cannot delete the control plane's directory {}: {}", root, e.toString());
        }
    }

    @Override
    public String toString() {
        return "KubeControlPlane[" + url() + ", " + Objects.toString(dir) + "]";
    }
}
