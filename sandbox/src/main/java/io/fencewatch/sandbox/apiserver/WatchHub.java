package io.fencewatch.sandbox.apiserver;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.crud.AttributeSet;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Fans every change out to the open watches, over WebSocket or HTTP streaming alike, with the
 * semantics of a real API server: a watch from a resourceVersion replays what happened after it,
 * a version older than the retained history ends with {@code 410 Expired}, a watch without one
 * starts with a synthetic ADDED per object, and watches that allow them get BOOKMARKs.
 *
 * <p>Callers publish and register under the dispatcher's mutation lock, so a new watch sees
 * neither a gap nor a duplicate between its snapshot and the live events.
 */
final class WatchHub {

  private static final Logger LOG = LoggerFactory.getLogger(WatchHub.class);
  /** How many changes are kept for watches that resume from a resourceVersion. */
  static final int DEFAULT_HISTORY = 4_096;

  /** Where a watch's events go. */
  interface Sink {
    /** Sends one event (a JSON object); false once the peer has gone. */
    boolean send(String event);

    /** Ends the watch. */
    void close();
  }

  /** One change: the object before and after (null when created / deleted) and their attributes. */
  record Change(long resourceVersion, String before, AttributeSet beforeAttributes, String after,
                AttributeSet afterAttributes) {
  }

  /** A snapshot item for a watch without a resourceVersion. */
  record Current(String object, AttributeSet attributes) {
  }

  private final int historySize;
  private final Set<Watch> watches = new CopyOnWriteArraySet<>();
  private final Deque<Change> history = new ArrayDeque<>();
  private long compactedThrough;
  private volatile long lastPublished;

  WatchHub(int historySize) {
    if (historySize < 1) {
      throw new IllegalArgumentException("historySize must be positive: " + historySize);
    }
    this.historySize = historySize;
  }

  final class Watch {
    private final String where;
    private final AttributeSet query;
    private final ApiResource resource;
    private final boolean bookmarks;
    private final UnaryOperator<String> render;
    private final Sink sink;
    private volatile boolean closed;

    private Watch(String where, AttributeSet query, ApiResource resource, boolean bookmarks,
                  UnaryOperator<String> render, Sink sink) {
      this.where = where;
      this.query = query;
      this.resource = resource;
      this.bookmarks = bookmarks;
      this.render = render;
      this.sink = sink;
    }

    void close() {
      if (!closed) {
        closed = true;
        watches.remove(this);
        sink.close();
      }
    }

    /** Forgets this watch after the peer went away. */
    void forget() {
      closed = true;
      watches.remove(this);
    }

    private void deliver(Change c) {
      boolean matchesBefore = c.beforeAttributes() != null && c.beforeAttributes().matches(query);
      boolean matchesAfter = c.afterAttributes() != null && c.afterAttributes().matches(query);
      String event;
      if (matchesBefore && matchesAfter) {
        event = event("MODIFIED", render.apply(c.after()));
      } else if (matchesBefore) {
        event = event("DELETED", render.apply(withResourceVersion(c.before(), c.resourceVersion())));
      } else if (matchesAfter) {
        event = event("ADDED", render.apply(c.after()));
      } else {
        return;
      }
      send(event);
    }

    private void send(String event) {
      if (!closed && !sink.send(event)) {
        LOG.debug("watch {} closed by its peer", where);
        forget();
      }
    }

    private void bookmark(long resourceVersion, boolean initialEventsEnd) {
      if (resource == null) {
        return;
      }
      ObjectNode o = Serialization.jsonMapper().createObjectNode()
          .put("kind", resource.kind()).put("apiVersion", resource.apiVersion());
      ObjectNode metadata = o.putObject("metadata").put("resourceVersion", Long.toString(resourceVersion));
      if (initialEventsEnd) {
        metadata.putObject("annotations").put("k8s.io/initial-events-end", "true");
      }
      send(event("BOOKMARK", o.toString()));
    }
  }

  /**
   * Opens a watch. {@code resourceVersion} null or 0 starts from {@code current}; otherwise the
   * history after it is replayed, or the watch ends with 410 when that history is gone.
   * {@code render} turns each object into what the client asked for (itself, or a Table row).
   */
  synchronized Watch open(String where, AttributeSet query, ApiResource resource, Long resourceVersion,
                          boolean sendInitialEvents, boolean bookmarks, List<Current> current, long currentVersion,
                          UnaryOperator<String> render, Sink sink) {
    Watch w = new Watch(where, query, resource, bookmarks, render, sink);
    if (resourceVersion == null || resourceVersion == 0 || sendInitialEvents) {
      current.forEach(c -> w.send(event("ADDED", render.apply(c.object()))));
      if (sendInitialEvents && bookmarks) {
        w.bookmark(currentVersion, true);
      }
    } else if (resourceVersion < compactedThrough) {
      w.send(event("ERROR", expired(resourceVersion)));
      sink.close();
      return w;
    } else {
      history.stream().filter(c -> c.resourceVersion() > resourceVersion).forEach(w::deliver);
    }
    watches.add(w);
    LOG.debug("watch {} opened from resourceVersion {}", where, resourceVersion);
    return w;
  }

  /** Sends one change to every matching watch and keeps it for replays. */
  synchronized void publish(Change change) {
    history.addLast(change);
    while (history.size() > historySize) {
      compactedThrough = history.removeFirst().resourceVersion();
    }
    lastPublished = Math.max(lastPublished, change.resourceVersion());
    watches.forEach(w -> w.deliver(change));
  }

  /** Sends a BOOKMARK at the last published version to every watch that allows them. */
  synchronized void bookmarks() {
    long rv = lastPublished;
    watches.stream().filter(w -> w.bookmarks).forEach(w -> w.bookmark(rv, false));
  }

  long lastPublished() {
    return lastPublished;
  }

  int openWatches() {
    return watches.size();
  }

  /** Ends the watches on {@code resource}, as a real server does when the resource is no longer served. */
  void closeWatches(ApiResource resource) {
    watches.stream().filter(w -> resource.equals(w.resource)).forEach(Watch::close);
  }

  /** Ends every watch; clients see their streams end and reconnect elsewhere or stop. */
  void closeAll() {
    watches.forEach(Watch::close);
  }

  static String event(String type, String object) {
    return "{\"type\":\"" + type + "\",\"object\":" + object + "}";
  }

  private static String withResourceVersion(String json, long resourceVersion) {
    ObjectNode o = (ObjectNode) Serialization.jsonMapper().readTree(json);
    o.withObjectProperty("metadata").put("resourceVersion", Long.toString(resourceVersion));
    return o.toString();
  }

  private String expired(long requested) {
    return ApiStatus.expiredBody("too old resource version: " + requested + " (" + compactedThrough + ")");
  }
}
