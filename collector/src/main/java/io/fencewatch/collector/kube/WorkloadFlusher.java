package io.fencewatch.collector.kube;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Gathers the shape changes of a namespace for {@code --pod-shape-delay} (from its first change) and
 * then queues one {@link AgentEvent.WorkloadsChanged} for it; the publisher asks
 * {@link WorkloadShapes#drain(String)} what changed when it takes that event, so the pods a rollout
 * moves within the delay cost one count's events, however many pods they are. A zero delay queues at
 * once. {@link WorkloadShapes} marks a namespace changed until it is drained, so a namespace has at
 * most one such event on its way.
 */
public final class WorkloadFlusher implements Consumer<String> {
    /** Runs a task after a delay (the agent's scheduler; a simulated one in the benchmark). */
    @FunctionalInterface
    public interface Scheduler {
        void schedule(Runnable task, Duration delay);
    }

    private final EventSink sink;
    private final Clock clock;
    private final Duration delay;
    private final Scheduler scheduler;

    public WorkloadFlusher(EventSink sink, Clock clock, Duration delay, Scheduler scheduler) {
        this.sink = Objects.requireNonNull(sink);
        this.clock = Objects.requireNonNull(clock);
        this.delay = Objects.requireNonNull(delay);
        this.scheduler = Objects.requireNonNull(scheduler);
    }

    /** {@code namespace}'s shapes changed (first change since its last drain). Never blocks. */
    @Override
    public void accept(String namespace) {
        // The event says when the first change it carries was seen: the delay counts in its latency.
        Instant seen = clock.instant();
        if (delay.isZero()) {
            sink.accept(new AgentEvent.WorkloadsChanged(namespace, seen));
        } else {
            scheduler.schedule(() -> sink.accept(new AgentEvent.WorkloadsChanged(namespace, seen)), delay);
        }
    }
}
