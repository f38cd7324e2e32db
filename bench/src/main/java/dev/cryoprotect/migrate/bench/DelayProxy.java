package dev.cryoprotect.migrate.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on localhost that holds every chunk of bytes for half the round-trip time in each direction, in order:
 * a database {@code rtt} milliseconds away, as a Supabase project in another region is. Bandwidth is not limited.
 */
final class DelayProxy implements AutoCloseable {
    private final ServerSocket server;
    private final long delayNanos;
    private final AtomicLong roundTrips = new AtomicLong();

    DelayProxy(int targetPort, long rttMillis) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.delayNanos = rttMillis * 1_000_000 / 2;
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                Socket client;
                try {
                    client = server.accept();
                } catch (IOException e) {
                    return; // closed
                }
                try {
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                    client.setTcpNoDelay(true);
                    upstream.setTcpNoDelay(true);
                    // A round trip starts when the client speaks first, or again after the server has answered.
                    AtomicBoolean serverSpokeLast = new AtomicBoolean(true);
                    relay(client, upstream, () -> {
                        if (serverSpokeLast.getAndSet(false)) {
                            roundTrips.incrementAndGet();
                        }
                    });
                    relay(upstream, client, () -> serverSpokeLast.set(true));
                } catch (IOException e) {
                    try {
                        client.close(); // the server is not there: the client hears so at once
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
            }
        }, "delay-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Round trips over every connection so far: how often a client sent and then had to wait for an answer. */
    long roundTrips() {
        return roundTrips.get();
    }

    private record Chunk(long dueNanos, byte[] bytes) {
    }

    /** One direction: a reader stamps each chunk, a writer sends it when its delay is up. */
    private void relay(Socket from, Socket to, Runnable onChunk) {
        BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            byte[] buffer = new byte[65536];
            try (InputStream in = from.getInputStream()) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    onChunk.run();
                    queue.add(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buffer, n)));
                }
            } catch (IOException e) {
                // the other side closed
            }
            queue.add(new Chunk(0, new byte[0])); // end of stream
        });
        Thread writer = new Thread(() -> {
            try (OutputStream out = to.getOutputStream()) {
                while (true) {
                    Chunk chunk = queue.take();
                    if (chunk.bytes().length == 0) {
                        return;
                    }
                    long wait = chunk.dueNanos() - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    out.write(chunk.bytes());
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // the other side closed
            } finally {
                try {
                    to.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        });
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
