package dev.cryoprotect.migrate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.convex.ConvexClient;
import dev.cryoprotect.migrate.convex.ConvexValues;
import dev.cryoprotect.migrate.local.LocalConvexBackend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One local Convex backend (the real convex/ functions under convex-test, behind the HTTP API) per test JVM, started
 * as a Node subprocess; {@link #reset()} empties it between tests.
 */
public final class TestConvex {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static LocalConvexBackend.Running running;

    private TestConvex() {
    }

    /** The repository's convex/ folder, seen from a module directory (shared/ or functions/). */
    public static Path convexDir() {
        Path dir = Path.of("..", "convex").toAbsolutePath().normalize();
        if (!Files.isDirectory(dir.resolve("node_modules/convex-test"))) {
            throw new IllegalStateException("run 'npm ci' in " + dir + " first (.ci/run does)");
        }
        return dir;
    }

    public static synchronized LocalConvexBackend.Running backend() {
        if (running == null) {
            try {
                Path state = Files.createTempDirectory("test-convex");
                // tests/test-backend.ts: the CLI's server plus the test-only routes used below
                LocalConvexBackend backend = new LocalConvexBackend(convexDir(), state, "tests/test-backend.ts");
                running = backend.ensureRunning(Map.of());
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    backend.stop();
                    try (var all = Files.walk(state)) { // the backend's data: nothing of a test run stays behind
                        all.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                    } catch (IOException e) {
                        // left in the temporary folder, which the system clears
                    }
                }));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return running;
    }

    /** CONVEX_URL and CONVEX_DEPLOY_KEY of the test backend, as the CLI and the handlers read them. */
    public static Map<String, String> environment() {
        return Map.of("CONVEX_URL", backend().url(), "CONVEX_DEPLOY_KEY", backend().deployKey());
    }

    public static ConvexClient client() {
        return new ConvexClient(backend().url(), backend().deployKey());
    }

    /** Empties every table. */
    public static void reset() {
        post("/_test/reset", "{}");
    }

    /** Every document of a table, decoded to Java values. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> documents(String table) {
        JsonNode body = post("/_test/documents", JSON.createObjectNode().put("table", table).toString());
        return (List<Map<String, Object>>) ConvexValues.decode(body.get("value"));
    }

    private static JsonNode post(String path, String body) {
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder()
                            .uri(URI.create(backend().url() + path))
                            .header("Authorization", "Convex " + backend().deployKey())
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(path + ": HTTP " + response.statusCode() + " " + response.body());
            }
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
