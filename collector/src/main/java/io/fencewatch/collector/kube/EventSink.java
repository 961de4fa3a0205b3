package io.fencewatch.collector.kube;

/** Where informer handlers put events; must never block. */
@FunctionalInterface
public interface EventSink {
    void accept(AgentEvent event);
}
