package dev.cryoprotect.migrate.local;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Starts the local Convex backend ({@code convex/server/local-backend.ts}: the real convex/ functions run by
 * convex-test behind Convex's HTTP API) as a background Node process, and finds it again later through a state file,
 * so the CLI's commands share one backend. Development and tests only; real deployments set CONVEX_URL.
 */
public final class LocalConvexBackend {
    private static final JsonFactory JSON = new JsonFactory();
    private static final Duration STARTUP = Duration.ofSeconds(60);

    /** A running backend: where it listens, its deploy key and its process id. */
    public record Running(String url, String deployKey, long pid) {
        @Override
        public String toString() {
            return "Running[" + url + ", pid " + pid + "]"; // the key stays out of logs
        }
    }

    /** The server the CLI runs; tests run {@code tests/test-backend.ts}, the same server plus test-only routes. */
    public static final String SERVER = "server/local-backend.ts";

    private final Path convexDir;
    private final Path stateDir;
    private final String entryPoint;

    /**
     * @param convexDir the repository's convex/ folder (package.json, server/local-backend.ts)
     * @param stateDir  where the state file and log go, such as .local/convex
     */
    public LocalConvexBackend(Path convexDir, Path stateDir) {
        this(convexDir, stateDir, SERVER);
    }

    /** @param entryPoint the server script, relative to {@code convexDir} */
    public LocalConvexBackend(Path convexDir, Path stateDir, String entryPoint) {
        this.convexDir = convexDir;
        this.stateDir = stateDir;
        this.entryPoint = entryPoint;
    }

    /** Whether Node and the convex/ folder are here, so the backend can run at all. */
    public static boolean available(Path convexDir) {
        return Files.isRegularFile(convexDir.resolve(SERVER)) && onPath("node");
    }

    /** The running backend, starting one (and installing convex/ dependencies once) if none answers. */
    public Running ensureRunning(Map<String, String> extraEnv) {
        Optional<Running> running = running();
        if (running.isPresent()) {
            return running.get();
        }
        try {
            Files.createDirectories(stateDir);
            installDependencies();
            Path ready = stateDir.resolve("server.json");
            Files.deleteIfExists(ready);
            String key = "local|" + HexFormat.of().formatHex(new SecureRandom().generateSeed(24));
            // Room for a large local sync: a million synced rows take about 1.2 GB of the backend's heap.
            ProcessBuilder pb = new ProcessBuilder("node", "--max-old-space-size=8192", "--import", "tsx", entryPoint)
                    .directory(convexDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(stateDir.resolve("server.log").toFile()));
            pb.environment().put("PORT", "0");
            pb.environment().put("READY_FILE", ready.toAbsolutePath().toString());
            pb.environment().put("CONVEX_DEPLOY_KEY", key);
            pb.environment().putAll(extraEnv);
            Process process = pb.start();
            long deadline = System.nanoTime() + STARTUP.toNanos();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new LocalDatabaseException("the local Convex backend exited at start (code "
                            + process.exitValue() + "); see " + stateDir.resolve("server.log"));
                }
                Optional<Running> started = readState(ready);
                if (started.isPresent()) {
                    return started.get();
                }
                Thread.sleep(100);
            }
            process.destroy();
            throw new LocalDatabaseException("the local Convex backend did not start within "
                    + STARTUP.toSeconds() + " s; see " + stateDir.resolve("server.log"));
        } catch (IOException e) {
            throw new LocalDatabaseException("cannot start the local Convex backend: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LocalDatabaseException("interrupted while starting the local Convex backend");
        }
    }

    /** The backend recorded in the state file, if its process lives and it answers. */
    public Optional<Running> running() {
        Optional<Running> state = readState(stateDir.resolve("server.json"));
        return state.filter(r -> ProcessHandle.of(r.pid()).map(ProcessHandle::isAlive).orElse(false) && answers(r.url()));
    }

    /** Stops the backend if it runs; returns whether it did. Its data (in memory) goes with it. */
    public boolean stop() {
        Optional<Running> running = running();
        if (running.isEmpty()) {
            return false;
        }
        ProcessHandle.of(running.get().pid()).ifPresent(p -> {
            p.destroy();
            try {
                p.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        });
        return true;
    }

    private void installDependencies() throws IOException, InterruptedException {
        if (Files.isDirectory(convexDir.resolve("node_modules/convex-test"))) {
            return;
        }
        System.err.println("installing the convex/ dependencies (npm ci, first run only)...");
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
                .directory(convexDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(stateDir.resolve("npm-ci.log").toFile()))
                .start();
        if (npm.waitFor() != 0) {
            throw new LocalDatabaseException("npm ci in " + convexDir + " failed; see "
                    + stateDir.resolve("npm-ci.log"));
        }
    }

    /** The state file the backend writes when it is ready, read with the streaming parser: every command reads it. */
    private static Optional<Running> readState(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try (JsonParser json = JSON.createParser(file.toFile())) {
            String url = null;
            String key = null;
            long pid = -1;
            if (json.nextToken() != JsonToken.START_OBJECT) {
                return Optional.empty();
            }
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                String field = json.currentName();
                json.nextToken();
                switch (field) {
                    case "url" -> url = json.getText();
                    case "adminKey" -> key = json.getText();
                    case "pid" -> pid = json.getLongValue();
                    default -> json.skipChildren();
                }
            }
            return url == null || key == null || pid < 0 ? Optional.empty() : Optional.of(new Running(url, key, pid));
        } catch (IOException e) {
            return Optional.empty(); // being written, or not ours
        }
    }

    /**
     * Whether something accepts connections at the backend's address: with its process alive, that is the backend. A
     * connect, not an HTTP request, because every command asks this before its work starts.
     */
    private static boolean answers(String url) {
        URI uri = URI.create(url);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 2000);
            return true;
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
