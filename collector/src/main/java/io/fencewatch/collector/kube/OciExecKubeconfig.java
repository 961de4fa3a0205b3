package io.fencewatch.collector.kube;

import java.io.File;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import com.oracle.bmc.auth.AbstractAuthenticationDetailsProvider;
import com.oracle.bmc.auth.BasicAuthenticationDetailsProvider;
import com.oracle.bmc.auth.RegionProvider;
import com.oracle.bmc.http.signing.DefaultRequestSigner;

import io.fabric8.kubernetes.api.model.ExecConfig;
import io.fabric8.kubernetes.api.model.NamedAuthInfo;
import io.fabric8.kubernetes.api.model.NamedCluster;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;

/**
 * A kubeconfig written by {@code oci ce cluster create-kubeconfig} runs the OCI CLI as an exec
 * plugin ({@code oci ce cluster generate-token --cluster-id X [--region R] [--profile P]}), which
 * our images do not have. This recognises such a context and serves its token in process
 * ({@link OkeTokenProvider}) with the collector's OCI authentication: the API address and CA come
 * from the kubeconfig, the token from the signer. {@code --oci-exec-plugin=keep} leaves the exec
 * entry to fabric8, which then runs the CLI.
 */
public final class OciExecKubeconfig {
    /** The OCI CLI call an exec entry holds, as create-kubeconfig writes it. */
    public record OciExec(String clusterOcid, String region, String profile) {
    }

    private OciExecKubeconfig() {
    }

    /** The OCI CLI token call of {@code exec}, or empty if it is some other plugin. */
    public static Optional<OciExec> recognise(ExecConfig exec) {
        if (exec == null || exec.getCommand() == null) {
            return Optional.empty();
        }
        String command = Path.of(exec.getCommand()).getFileName().toString();
        List<String> args = exec.getArgs() == null ? List.of() : exec.getArgs();
        if (!command.equals("oci") || args.size() < 3 || !args.subList(0, 3).equals(List.of("ce", "cluster", "generate-token"))) {
            return Optional.empty();
        }
        String cluster = option(args, "--cluster-id");
        return cluster == null ? Optional.empty()
                : Optional.of(new OciExec(cluster, option(args, "--region"), option(args, "--profile")));
    }

    private static String option(List<String> args, String name) {
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals(name) && i + 1 < args.size()) {
                return args.get(i + 1);
            }
            if (args.get(i).startsWith(name + "=")) {
                return args.get(i).substring(name.length() + 1);
            }
        }
        return null;
    }

    /**
     * fabric8's configuration for {@code context} of {@code kubeconfig} (its current context when
     * null) with the in-process OKE token, or empty if that context's user is no OCI CLI exec entry.
     *
     * @param auth the OCI authentication for a profile: the exec entry's {@code --profile}, or null
     */
    public static Optional<Config> configure(File kubeconfig, String context,
            java.util.function.Function<String, AbstractAuthenticationDetailsProvider> auth, Clock clock) {
        io.fabric8.kubernetes.api.model.Config model;
        try {
            model = KubeConfigUtils.parseConfig(kubeconfig);
        } catch (RuntimeException e) {
            return Optional.empty(); // fabric8's own loading reports what is wrong with it
        }
        return configure(model, context, auth, clock);
    }

    /**
     * As {@link #configure(File, String, java.util.function.Function, Clock)} for a kubeconfig held as
     * text, such as the one Container Engine's CreateKubeconfig answers for a discovered cluster.
     */
    public static Optional<Config> configure(String kubeconfigYaml, String context,
            java.util.function.Function<String, AbstractAuthenticationDetailsProvider> auth, Clock clock) {
        return configure(KubeConfigUtils.parseConfigFromString(kubeconfigYaml), context, auth, clock);
    }

    private static Optional<Config> configure(io.fabric8.kubernetes.api.model.Config model, String context,
            java.util.function.Function<String, AbstractAuthenticationDetailsProvider> auth, Clock clock) {
        String name = context != null ? context : model.getCurrentContext();
        NamedContext ctx = find(model.getContexts(), name, NamedContext::getName);
        NamedAuthInfo user = ctx == null || ctx.getContext() == null ? null
                : find(model.getUsers(), ctx.getContext().getUser(), NamedAuthInfo::getName);
        Optional<OciExec> exec = recognise(user == null || user.getUser() == null ? null : user.getUser().getExec());
        if (exec.isEmpty()) {
            return Optional.empty();
        }
        NamedCluster cluster = find(model.getClusters(), ctx.getContext().getCluster(), NamedCluster::getName);
        if (cluster == null || cluster.getCluster() == null || cluster.getCluster().getServer() == null) {
            throw new IllegalArgumentException("kubeconfig context '" + name + "' names no cluster with a server");
        }
        AbstractAuthenticationDetailsProvider provider = auth.apply(exec.get().profile());
        String region = exec.get().region();
        if (region == null && provider instanceof RegionProvider r && r.getRegion() != null) {
            region = r.getRegion().getRegionId();
        }
        if (region == null) {
            throw new IllegalArgumentException("kubeconfig context '" + name + "': its oci exec entry names no --region,"
                    + " and the OCI authentication has none");
        }
        if (!(provider instanceof BasicAuthenticationDetailsProvider basic)) {
            throw new IllegalArgumentException("the OCI authentication cannot sign requests");
        }
        ConfigBuilder b = new ConfigBuilder(Config.empty()).withMasterUrl(cluster.getCluster().getServer())
                .withNamespace(ctx.getContext().getNamespace());
        if (cluster.getCluster().getCertificateAuthorityData() != null) {
            b.withCaCertData(cluster.getCluster().getCertificateAuthorityData());
        } else if (cluster.getCluster().getCertificateAuthority() != null) {
            b.withCaCertFile(cluster.getCluster().getCertificateAuthority());
        }
        if (Boolean.TRUE.equals(cluster.getCluster().getInsecureSkipTlsVerify())) {
            b.withTrustCerts(true);
        }
        Config config = b.build();
        config.setOauthTokenProvider(new OkeTokenProvider(DefaultRequestSigner.createRequestSigner(basic), region,
                exec.get().clusterOcid(), clock));
        return Optional.of(config);
    }

    private static <T> T find(List<T> items, String name, java.util.function.Function<T, String> nameOf) {
        for (T t : items == null ? List.<T>of() : items) {
            if (name != null && Objects.equals(nameOf.apply(t), name)) {
                return t;
            }
        }
        return null;
    }
}
