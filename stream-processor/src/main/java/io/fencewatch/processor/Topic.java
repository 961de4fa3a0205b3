package io.fencewatch.processor;

import java.util.Objects;

import org.apache.kafka.common.serialization.Serde;

/** One topic of the topology with the serdes its records are written and read with. */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {
    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keySerde, "keySerde");
        Objects.requireNonNull(valueSerde, "valueSerde");
    }
}
