package io.fencewatch.testing;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Awaitility's defaults for every test JVM with test-support on its classpath: the JUnit Platform launcher
 * loads this listener (META-INF/services) before the first test runs.
 *
 * <p>Awaitility waits one poll interval (100 ms) before it looks at a condition the first time, even when the
 * condition already holds: each of the suite's thousands of {@code await()}s cost at least 100 ms. With a
 * first delay of zero a condition is checked at once, then every 100 ms as before; what an await asserts is
 * unchanged: its timeout ({@code atMost}), poll interval, {@code during} and {@code atLeast} stay as written,
 * and an await that sets its own {@code pollDelay} keeps it.
 */
public final class AwaitilityDefaults implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        Awaitility.setDefaultPollDelay(Duration.ZERO);
    }
}
