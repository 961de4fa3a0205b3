package io.fencewatch.query;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import io.fencewatch.schema.common.Status;

/**
 * {@code GET /api/v1/drift/stream}: Server-Sent Events, one drift JSON per event with its drift id
 * as the SSE {@code id}. A client reconnecting with {@code Last-Event-ID} (header, or the
 * {@code lastEventId} query parameter) first gets the drifts after that id from the bounded
 * history, then the live ones.
 *
 * <p>Streams hold no thread: each is written on its connection's event loop, with a bounded queue
 * of pending drifts and Vert.x's bounded write queue; a reader too slow for either is cut off
 * (its EventSource reconnects with Last-Event-ID). Their number is capped, and a stream's slot is
 * released as soon as its connection closes (a dead peer is found by the keep-alive write).
 */
final class SseStreams {
    private static final Logger LOG = LoggerFactory.getLogger(SseStreams.class);
    private static final int QUEUE = 1024;

    private final Vertx vertx;
    private final DriftFeed feed;
    private final Semaphore slots;
    private final Duration keepAlive;
    private final Set<Stream> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    SseStreams(Vertx vertx, DriftFeed feed, int maxClients, Duration keepAlive) {
        this.vertx = vertx;
        this.feed = feed;
        this.slots = new Semaphore(maxClients);
        this.keepAlive = keepAlive;
    }

    int clients() {
        return open.size();
    }

    /** Starts a stream on the event loop; parameter errors and a full house throw before any byte is sent. */
    void serve(HttpServerRequest req, Map<String, String> query) {
        String cluster = query.get("cluster") == null ? null : ApiHandler.cluster(query.get("cluster"));
        Status status = ApiHandler.status(query.get("status"));
        String lastEventId = req.headers().get("Last-Event-ID");
        if (lastEventId == null) {
            lastEventId = query.get("lastEventId");
        }
        if (closed || !slots.tryAcquire()) {
            throw new Unavailable("too many drift streams open");
        }
        Stream s = new Stream(req.response(), req.connection(), vertx.getOrCreateContext(), cluster, status);
        open.add(s);
        req.response().closeHandler(v -> s.end());
        req.response().exceptionHandler(e -> {
            LOG.debug("SSE client went away: {}", e.toString());
            s.end();
        });
        s.start(lastEventId);
    }

    /** Ends every open stream (their clients will reconnect elsewhere). */
    void close() {
        closed = true;
        for (Stream s : open) {
            s.context.runOnContext(v -> s.finish());
        }
    }

    private final class Stream {
        final HttpServerResponse res;
        final HttpConnection connection;
        final Context context;
        final String cluster;
        final Status status;
        final BlockingQueue<DriftFeed.Entry> queue = new ArrayBlockingQueue<>(QUEUE);
        final AtomicBoolean ended = new AtomicBoolean();
        final AtomicBoolean drainScheduled = new AtomicBoolean();
        DriftFeed.Subscription subscription;
        long timer = -1;
        long lastSeq;

        Stream(HttpServerResponse res, HttpConnection connection, Context context, String cluster, Status status) {
            this.res = res;
            this.connection = connection;
            this.context = context;
            this.cluster = cluster;
            this.status = status;
        }

        /** On the event loop: headers, the replay, then live drifts as they come. */
        void start(String lastEventId) {
            subscription = feed.subscribe(lastEventId, this::offer);
            res.setChunked(true);
            res.putHeader("Content-Type", "text/event-stream; charset=utf-8");
            res.putHeader("Cache-Control", "no-cache");
            res.putHeader("X-Accel-Buffering", "no");
            res.setStatusCode(200);
            StringBuilder first = new StringBuilder("retry: 2000\n\n");
            for (DriftFeed.Entry e : subscription.replay()) {
                lastSeq = e.seq();
                append(first, e);
            }
            res.write(first.toString());
            timer = vertx.setPeriodic(keepAlive.toMillis(), id -> context.runOnContext(v -> {
                if (!ended.get()) {
                    send(": keep-alive\n\n");
                }
            }));
            drain();
        }

        /** From the drift feed's thread. */
        void offer(DriftFeed.Entry e) {
            if (ended.get()) {
                return;
            }
            if (!queue.offer(e)) {
                LOG.debug("SSE reader too slow: cut off");
                context.runOnContext(v -> finish());
                return;
            }
            if (drainScheduled.compareAndSet(false, true)) {
                context.runOnContext(v -> drain());
            }
        }

        private void drain() {
            drainScheduled.set(false);
            if (ended.get()) {
                return;
            }
            StringBuilder out = new StringBuilder();
            DriftFeed.Entry e;
            while ((e = queue.poll()) != null) {
                if (e.seq() > lastSeq) {
                    lastSeq = e.seq();
                    append(out, e);
                }
            }
            if (!out.isEmpty()) {
                send(out.toString());
            }
        }

        private void send(String text) {
            if (res.writeQueueFull()) {
                // The client does not read: drop it rather than buffer without end.
                LOG.debug("SSE write queue full: cut off");
                finish();
                return;
            }
            res.write(text);
        }

        private void append(StringBuilder out, DriftFeed.Entry e) {
            if (!ApiHandler.matches(e.event(), cluster, status)) {
                return;
            }
            // Drift ids and JSON text hold no newline (JSON escapes them), so one data line suffices.
            out.append("id: ").append(e.id().replace('\n', ' ')).append("\ndata: ").append(e.json()).append("\n\n");
        }

        /** Ends the response and then the connection (on the event loop). */
        void finish() {
            if (end()) {
                try {
                    res.end().onComplete(done -> connection.close());
                } catch (IllegalStateException e) {
                    LOG.debug("SSE stream already closed: {}", e.toString());
                }
            }
        }

        /** Releases the slot; true the first time. */
        boolean end() {
            if (!ended.compareAndSet(false, true)) {
                return false;
            }
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            if (subscription != null) {
                subscription.close();
            }
            queue.clear();
            open.remove(this);
            slots.release();
            return true;
        }
    }
}
