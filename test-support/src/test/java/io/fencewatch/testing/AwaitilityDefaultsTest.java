package io.fencewatch.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import org.junit.jupiter.api.Test;

class AwaitilityDefaultsTest {
    /** Loaded by the launcher (META-INF/services): ten awaits on a condition that holds take far less than 10 x 100 ms. */
    @Test
    void shouldCheckAConditionAtOnceWhenTheListenerSetTheDefaults() {
        long t0 = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            await().until(() -> true);
        }
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms for ten awaits").isLessThan(1000);
    }
}
