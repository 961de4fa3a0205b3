package io.fencewatch.sandbox.apiserver;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads a Namespace sent as {@code application/vnd.kubernetes.protobuf}, as
 * {@code kubectl create namespace} does.
 *
 * <p>The envelope is the magic {@code k8s\0} and a {@code runtime.Unknown} (1 typeMeta, 2 raw);
 * {@code raw} is a {@code v1.Namespace} (1 metadata, 2 spec). Only the fields a client sets on
 * create are read: name, generateName, labels, annotations, finalizers, spec.finalizers. Other
 * fields are skipped by wire type, so nothing is misread.
 */
final class NamespaceProtobuf {

  static final String CONTENT_TYPE = "application/vnd.kubernetes.protobuf";
  private static final byte[] MAGIC = {'k', '8', 's', 0};

  private NamespaceProtobuf() {
  }

  /** The Namespace as JSON; throws {@link IllegalArgumentException} for anything else. */
  static ObjectNode toJson(byte[] body) {
    if (body.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(body, MAGIC.length), MAGIC)) {
      throw new IllegalArgumentException("protobuf body without the k8s magic prefix");
    }
    Reader unknown = new Reader(Arrays.copyOfRange(body, MAGIC.length, body.length));
    String apiVersion = null;
    String kind = null;
    byte[] raw = null;
    while (unknown.more()) {
      int tag = unknown.tag();
      if (tag >>> 3 == 1 && (tag & 7) == 2) {
        Reader typeMeta = new Reader(unknown.bytes());
        while (typeMeta.more()) {
          int t = typeMeta.tag();
          switch (t >>> 3) {
            case 1 -> apiVersion = typeMeta.string();
            case 2 -> kind = typeMeta.string();
            default -> typeMeta.skip(t);
          }
        }
      } else if (tag >>> 3 == 2 && (tag & 7) == 2) {
        raw = unknown.bytes();
      } else {
        unknown.skip(tag);
      }
    }
    if (!"Namespace".equals(kind) || !"v1".equals(apiVersion) || raw == null) {
      throw new IllegalArgumentException("only v1 Namespace is accepted as protobuf, got " + apiVersion + " " + kind);
    }
    ObjectNode ns = Serialization.jsonMapper().createObjectNode().put("apiVersion", "v1").put("kind", "Namespace");
    ObjectNode metadata = ns.putObject("metadata");
    Reader namespace = new Reader(raw);
    while (namespace.more()) {
      int tag = namespace.tag();
      if (tag >>> 3 == 1 && (tag & 7) == 2) {
        readMetadata(new Reader(namespace.bytes()), metadata);
      } else if (tag >>> 3 == 2 && (tag & 7) == 2) {
        Reader spec = new Reader(namespace.bytes());
        while (spec.more()) {
          int t = spec.tag();
          if (t >>> 3 == 1 && (t & 7) == 2) {
            ns.withObjectProperty("spec").withArrayProperty("finalizers").add(spec.string());
          } else {
            spec.skip(t);
          }
        }
      } else {
        namespace.skip(tag);
      }
    }
    return ns;
  }

  private static void readMetadata(Reader meta, ObjectNode metadata) {
    while (meta.more()) {
      int tag = meta.tag();
      int field = tag >>> 3;
      if ((tag & 7) != 2) {
        meta.skip(tag);
        continue;
      }
      switch (field) {
        case 1 -> putIfNotEmpty(metadata, "name", meta.string());
        case 2 -> putIfNotEmpty(metadata, "generateName", meta.string());
        case 3 -> putIfNotEmpty(metadata, "namespace", meta.string());
        case 11, 12 -> {
          Reader entry = new Reader(meta.bytes());
          String key = "";
          String value = "";
          while (entry.more()) {
            int t = entry.tag();
            switch (t >>> 3) {
              case 1 -> key = entry.string();
              case 2 -> value = entry.string();
              default -> entry.skip(t);
            }
          }
          metadata.withObjectProperty(field == 11 ? "labels" : "annotations").put(key, value);
        }
        case 14 -> metadata.withArrayProperty("finalizers").add(meta.string());
        default -> meta.bytes();
      }
    }
  }

  /** Go's protobuf writes empty strings too; JSON from a real client would omit them. */
  private static void putIfNotEmpty(ObjectNode node, String field, String value) {
    if (!value.isEmpty()) {
      node.put(field, value);
    }
  }

  /** The few protobuf wire-format reads needed here. */
  private static final class Reader {
    private final byte[] buf;
    private int pos;

    Reader(byte[] buf) {
      this.buf = buf;
    }

    boolean more() {
      return pos < buf.length;
    }

    int tag() {
      return (int) varint();
    }

    long varint() {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= buf.length) {
          throw new IllegalArgumentException("truncated varint");
        }
        byte b = buf[pos++];
        result |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new IllegalArgumentException("malformed varint");
    }

    byte[] bytes() {
      int len = (int) varint();
      if (len < 0 || pos + len > buf.length) {
        throw new IllegalArgumentException("truncated length-delimited field");
      }
      byte[] out = Arrays.copyOfRange(buf, pos, pos + len);
      pos += len;
      return out;
    }

    String string() {
      return new String(bytes(), StandardCharsets.UTF_8);
    }

    void skip(int tag) {
      switch (tag & 7) {
        case 0 -> varint();
        case 1 -> pos += 8;
        case 2 -> bytes();
        case 5 -> pos += 4;
        default -> throw new IllegalArgumentException("unsupported wire type " + (tag & 7));
      }
    }
  }
}
