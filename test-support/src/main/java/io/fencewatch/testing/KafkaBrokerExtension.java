package io.fencewatch.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import io.fencewatch.kafka.EmbeddedKafkaBroker;

/**
 * Gives tests a real in-process KRaft broker ({@link EmbeddedKafkaBroker}).
 *
 * <ul>
 *   <li>{@code @ExtendWith(KafkaBrokerExtension.class)}: one broker shared by every test class of
 *       the test run (started once, closed when the run ends); give topics unique names.</li>
 *   <li>{@code @RegisterExtension static KafkaBrokerExtension kafka = KafkaBrokerExtension.perClass();}:
 *       a broker of the class's own, closed after its tests; for tests that stop or restart it.</li>
 * </ul>
 * Tests receive the broker as a parameter, or from {@link #broker()}.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(KafkaBrokerExtension.class);

    private final boolean shared;
    private EmbeddedKafkaBroker broker;

    /** The shared broker, for {@code @ExtendWith}. */
    public KafkaBrokerExtension() {
        this(true);
    }

    private KafkaBrokerExtension(boolean shared) {
        this.shared = shared;
    }

    public static KafkaBrokerExtension perClass() {
        return new KafkaBrokerExtension(false);
    }

    public EmbeddedKafkaBroker broker() {
        if (broker == null) {
            throw new IllegalStateException("the broker starts before the class's first test");
        }
        return broker;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (shared) {
            broker = context.getRoot().getStore(NAMESPACE)
                    .computeIfAbsent("broker", k -> EmbeddedKafkaBroker.startNew(), EmbeddedKafkaBroker.class);
        } else {
            broker = EmbeddedKafkaBroker.startNew();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (!shared && broker != null) {
            broker.close();
            broker = null;
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == EmbeddedKafkaBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return broker();
    }
}
