package io.fencewatch.testing.kube;

import io.fencewatch.controlplane.KubeControlPlane;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests a real Kubernetes control plane ({@link KubeControlPlane}).
 * <ul>
 *   <li>{@code @ExtendWith(KubeControlPlaneExtension.class)}: one per test run, shared by every class
 *       that uses it, started before the first of them and stopped when the run ends. Leave only the
 *       system namespaces behind.</li>
 *   <li>{@code @RegisterExtension static KubeControlPlaneExtension kube = KubeControlPlaneExtension.perClass();}:
 *       a control plane of the class's own, stopped after its tests; for tests that restart it or fill it.</li>
 * </ul>
 *
 * <p>Where the binaries are not built and Go is not on the PATH (a laptop without Go), the tests are
 * skipped with one line saying so. With Go present, or with {@code CI=true}, missing binaries fail the
 * test: there, {@code test-support/control-plane/build.sh} must have built them.
 */
public final class KubeControlPlaneExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(KubeControlPlaneExtension.class);

    private final boolean shared;
    private KubeControlPlane controlPlane;

    /** The shared control plane, for {@code @ExtendWith}. */
    public KubeControlPlaneExtension() {
        this(true);
    }

    private KubeControlPlaneExtension(boolean shared) {
        this.shared = shared;
    }

    public static KubeControlPlaneExtension perClass() {
        return new KubeControlPlaneExtension(false);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        requireBinaries();
        controlPlane = shared ? context.getRoot().getStore(NAMESPACE)
                .computeIfAbsent("control-plane", k -> KubeControlPlane.start(), KubeControlPlane.class)
                : KubeControlPlane.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (!shared && controlPlane != null) {
            controlPlane.close();
            controlPlane = null;
        }
    }

    /**
     * Returns when the binaries are built; aborts the calling test class (skipped, one line) where Go is
     * absent and CI is not "true"; throws where Go is present or CI=true, since there they must be built.
     */
    public static void requireBinaries() {
        Path dir = KubeControlPlane.binariesDir();
        String missing = KubeControlPlane.missingBinaries(dir);
        if (missing != null) {
            if (!goOnPath() && !"true".equals(System.getenv("CI"))) {
                Assumptions.abort("real control plane skipped: Go is not on the PATH, so " + missing);
            }
            throw new IllegalStateException("real control plane required (Go is on the PATH or CI=true), but " + missing);
        }
    }

    /** The shared control plane (after {@code beforeAll}). */
    public KubeControlPlane controlPlane() {
        if (controlPlane == null) {
            throw new IllegalStateException("the control plane starts before the class's first test");
        }
        return controlPlane;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == KubeControlPlane.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return controlPlane();
    }

    static boolean goOnPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "go"))) {
                return true;
            }
        }
        return false;
    }
}
