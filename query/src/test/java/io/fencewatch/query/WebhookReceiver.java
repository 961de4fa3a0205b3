package io.fencewatch.query;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;

/** A local webhook target (JDK HttpServer) that fails the first {@code failures} requests with 500. */
final class WebhookReceiver implements AutoCloseable {
    record Received(long nanos, String idempotencyKey, String body, int answered) {
    }

    final List<Received> requests = new CopyOnWriteArrayList<>();
    private final HttpServer server;
    private final AtomicInteger failuresLeft;

    WebhookReceiver(int failures) throws IOException {
        this.failuresLeft = new AtomicInteger(failures);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            int status = failuresLeft.getAndDecrement() > 0 ? 500 : 200;
            requests.add(new Received(System.nanoTime(), ex.getRequestHeaders().getFirst("Idempotency-Key"), body, status));
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        server.start();
    }

    /** The hook URL, with a secret in the query string that must never be logged. */
    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hooks/fencewatch?token=TOPSECRET");
    }

    List<Received> delivered() {
        return requests.stream().filter(r -> r.answered() == 200).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
