package io.fencewatch.sandbox.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class NamespaceProtobufTest {

  @Test
  void shouldReadNameLabelsAndFinalizersWhenBodyIsProtobufNamespace() {
    ObjectNode ns = NamespaceProtobuf.toJson(envelope("v1", "Namespace",
        namespace(metadata("payments", "team", "pay"), spec("kubernetes"))));

    assertThat(ns.path("kind").asString()).isEqualTo("Namespace");
    assertThat(ns.path("metadata").path("name").asString()).isEqualTo("payments");
    assertThat(ns.path("metadata").path("labels").path("team").asString()).isEqualTo("pay");
    assertThat(ns.path("metadata").has("generateName")).as("empty strings are omitted").isFalse();
    assertThat(ns.path("spec").path("finalizers").get(0).asString()).isEqualTo("kubernetes");
  }

  @Test
  void shouldRefuseWhenProtobufBodyIsAnotherKind() {
    byte[] body = envelope("v1", "ConfigMap", namespace(metadata("x", "a", "b"), new byte[0]));

    assertThatThrownBy(() -> NamespaceProtobuf.toJson(body))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ConfigMap");
  }

  @Test
  void shouldRefuseWhenMagicPrefixIsMissing() {
    assertThatThrownBy(() -> NamespaceProtobuf.toJson("{}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("magic");
  }

  // A Go client writes every string field, empty ones included: so does this encoder.
  private static byte[] metadata(String name, String labelKey, String labelValue) {
    ByteArrayOutputStream meta = new ByteArrayOutputStream();
    field(meta, 1, bytes(name));
    field(meta, 2, bytes(""));
    ByteArrayOutputStream entry = new ByteArrayOutputStream();
    field(entry, 1, bytes(labelKey));
    field(entry, 2, bytes(labelValue));
    field(meta, 11, entry.toByteArray());
    varintField(meta, 7, 0);
    return meta.toByteArray();
  }

  private static byte[] spec(String finalizer) {
    ByteArrayOutputStream spec = new ByteArrayOutputStream();
    field(spec, 1, bytes(finalizer));
    return spec.toByteArray();
  }

  private static byte[] namespace(byte[] metadata, byte[] spec) {
    ByteArrayOutputStream ns = new ByteArrayOutputStream();
    field(ns, 1, metadata);
    field(ns, 2, spec);
    field(ns, 3, new byte[0]);
    return ns.toByteArray();
  }

  private static byte[] envelope(String apiVersion, String kind, byte[] raw) {
    ByteArrayOutputStream typeMeta = new ByteArrayOutputStream();
    field(typeMeta, 1, bytes(apiVersion));
    field(typeMeta, 2, bytes(kind));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {'k', '8', 's', 0});
    field(out, 1, typeMeta.toByteArray());
    field(out, 2, raw);
    field(out, 3, bytes(""));
    field(out, 4, bytes(""));
    return out.toByteArray();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void field(ByteArrayOutputStream out, int number, byte[] value) {
    varint(out, (number << 3) | 2);
    varint(out, value.length);
    out.writeBytes(value);
  }

  private static void varintField(ByteArrayOutputStream out, int number, long value) {
    varint(out, number << 3);
    varint(out, value);
  }

  private static void varint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }
}
