package io.fencewatch.query;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.net.httpserver.HttpExchange;

import io.fencewatch.schema.common.Status;

/**
 * {@code GET /api/v1/drift/stream}: Server-Sent Events, one drift JSON per event with its drift id
 * as the SSE {@code id}. A client reconnecting with {@code Last-Event-ID} (header, or the
 * {@code lastEventId} query parameter) first gets the drifts after that id from the bounded
 * history, then the live ones. Each stream holds one server thread; their number is capped.
 */
final class SseStreams {
    private static final Logger LOG = LoggerFactory.getLogger(SseStreams.class);
    private static final DriftFeed.Entry CLOSE = new DriftFeed.Entry(-1, null, null);
    private static final int QUEUE = 1024;

    private final DriftFeed feed;
    private final Semaphore slots;
    private final Duration keepAlive;
    private final Set<BlockingQueue<DriftFeed.Entry>> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    SseStreams(DriftFeed feed, int maxClients, Duration keepAlive) {
        this.feed = feed;
        this.slots = new Semaphore(maxClients);
        this.keepAlive = keepAlive;
    }

    int clients() {
        return open.size();
    }

    void serve(HttpExchange ex, Map<String, String> query) throws IOException {
        String cluster = query.get("cluster") == null ? null : ApiHandler.cluster(query.get("cluster"));
        Status status = ApiHandler.status(query.get("status"));
        String lastEventId = ex.getRequestHeaders().getFirst("Last-Event-ID");
        if (lastEventId == null) {
            lastEventId = query.get("lastEventId");
        }
        if (closed || !slots.tryAcquire()) {
            throw new Unavailable("too many drift streams open");
        }
        BlockingQueue<DriftFeed.Entry> queue = new ArrayBlockingQueue<>(QUEUE);
        open.add(queue);
        try (DriftFeed.Subscription sub = feed.subscribe(lastEventId, e -> {
            if (!queue.offer(e)) {
                // A reader this slow is cut off; its EventSource reconnects with Last-Event-ID.
                queue.clear();
                queue.offer(CLOSE);
            }
        })) {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.getResponseHeaders().set("X-Accel-Buffering", "no");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            out.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
            long lastSeq = 0;
            for (DriftFeed.Entry e : sub.replay()) {
                lastSeq = e.seq();
                write(out, e, cluster, status);
            }
            out.flush();
            while (!closed) {
                DriftFeed.Entry e = queue.poll(keepAlive.toMillis(), TimeUnit.MILLISECONDS);
                if (e == CLOSE) {
                    break;
                }
                if (e == null) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                } else if (e.seq() > lastSeq) {
                    lastSeq = e.seq();
                    write(out, e, cluster, status);
                }
                out.flush();
            }
            out.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.debug("SSE client went away: {}", e.toString());
        } finally {
            open.remove(queue);
            slots.release();
        }
    }

    private static void write(OutputStream out, DriftFeed.Entry e, String cluster, Status status) throws IOException {
        if (!ApiHandler.matches(e.event(), cluster, status)) {
            return;
        }
        // Drift ids and JSON text hold no newline (JSON escapes them), so one data line suffices.
        out.write(("id: " + e.id().replace('\n', ' ') + "\ndata: " + e.json() + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Ends every open stream (their clients will reconnect elsewhere). */
    void close() {
        closed = true;
        for (BlockingQueue<DriftFeed.Entry> q : open) {
            q.clear();
            q.offer(CLOSE);
        }
    }
}
