package dev.cryoprotect.migrate.convex;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cryoprotect.migrate.convex.ConvexException.TransportError;
import okhttp3.ConnectionSpec;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Calls Convex functions over the HTTP API ({@code POST /api/query|mutation|action|function}) with
 * {@code convex_encoded_json} values. Transport failures and 5xx responses other than 560 are retried with backoff;
 * 560 (the function threw) is not, since the function ran and Convex undid its writes. Mutations are retried too, so
 * call only idempotent mutations through this client (the migration functions are). The deploy key is sent in the
 * Authorization header and never appears in a message.
 */
public final class ConvexClient {
    /**
     * Made on first use, by the thread of the first call: a command builds its client on the main thread at start,
     * and Jackson's and OkHttp's set-up then happens beside the main thread's work, not before it.
     */
    private static final class Lazy {
        static final ObjectMapper JSON = new ObjectMapper();
        static final MediaType JSON_TYPE = MediaType.get("application/json");
    }
    private static final String CLIENT_NAME = "migrate-java-0.1.0";

    private final String baseUrl;
    private final String deployKey;
    private final Duration timeout;
    /** Made at the first call: OkHttp's classes take a while to load, and a status reads Convex on a thread aside. */
    private volatile OkHttpClient http;
    private final int maxRetries;
    private final Duration initialBackoff;

    /**
     * @param baseUrl   the deployment URL, such as {@code https://happy-otter-123.convex.cloud}
     * @param deployKey a deploy or admin key (needed for internal functions), or null
     * @param timeout   per-call timeout (connect, read and write)
     */
    public ConvexClient(String baseUrl, String deployKey, Duration timeout, int maxRetries, Duration initialBackoff) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.deployKey = deployKey;
        this.maxRetries = maxRetries;
        this.initialBackoff = initialBackoff;
        this.timeout = timeout;
    }

    private OkHttpClient http() {
        OkHttpClient client = http;
        if (client == null) {
            synchronized (this) {
                if (http == null) {
                    OkHttpClient.Builder builder = new OkHttpClient.Builder()
                            .connectTimeout(timeout)
                            .readTimeout(timeout)
                            .writeTimeout(timeout)
                            .callTimeout(timeout.multipliedBy(2))
                            .retryOnConnectionFailure(false); // retries are ours, counted and backed off
                    if (baseUrl.startsWith("http://")) {
                        // A local backend: without a TLS connection spec the client skips loading the trust store,
                        // about 0.1 s of every command's start.
                        builder.connectionSpecs(List.of(ConnectionSpec.CLEARTEXT));
                    }
                    http = builder.build();
                }
                client = http;
            }
        }
        return client;
    }

    public ConvexClient(String baseUrl, String deployKey) {
        this(baseUrl, deployKey, Duration.ofSeconds(60), 4, Duration.ofMillis(200));
    }

    public String baseUrl() {
        return baseUrl;
    }

    public Object query(String path, Map<String, ?> args) {
        return call("query", path, args);
    }

    public Object mutation(String path, Map<String, ?> args) {
        return call("mutation", path, args);
    }

    public Object action(String path, Map<String, ?> args) {
        return call("action", path, args);
    }

    /** {@code /api/function}: any kind of function, args as an object, with an optional component path. */
    public Object function(String path, Map<String, ?> args) {
        return call("function", path, args);
    }

    private Object call(String kind, String path, Map<String, ?> args) {
        Request.Builder request = new Request.Builder()
                .url(baseUrl + "/api/" + kind)
                .header("Convex-Client", CLIENT_NAME)
                .post(requestBody(encodeBody(kind, path, args)));
        if (deployKey != null && !deployKey.isBlank()) {
            request.header("Authorization", "Convex " + deployKey);
        }
        return send(request.build(), path);
    }

    /** The encoded body as the request's content, sent from the writer's buffer as it is. */
    public static RequestBody requestBody(ConvexJsonWriter body) {
        return RequestBody.create(body.array(), Lazy.JSON_TYPE, 0, body.length());
    }

    /** The body of a call to {@code /api/KIND}, in its writer. */
    public static ConvexJsonWriter encodeBody(String kind, String path, Map<String, ?> args) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("path", path);
        body.put("format", "convex_encoded_json");
        Object encodedArgs = args == null ? Map.of() : args;
        body.put("args", kind.equals("function") ? encodedArgs : List.of(encodedArgs));
        // The sync's batches come encoded already: sized for them, the body is copied together once.
        int size = 256 + path.length();
        for (Object value : args == null ? List.of() : args.values()) {
            size += value instanceof ConvexValues.Encoded encoded ? encoded.json().length : 0;
        }
        return new ConvexJsonWriter(size).value(body);
    }

    private Object send(Request request, String path) {
        Duration backoff = initialBackoff;
        for (int attempt = 0; ; attempt++) {
            TransportError failure;
            try (Response response = http().newCall(request).execute()) {
                String text = response.body().string();
                if (response.code() == 200 || response.code() == 560) {
                    return result(path, response.code(), text);
                }
                String excerpt = text.length() > 300 ? text.substring(0, 300) + "..." : text;
                failure = new TransportError("Convex at " + baseUrl + " answered HTTP " + response.code() + " to "
                        + path + ": " + excerpt.strip(), response.code(), null);
                if (response.code() < 500) {
                    throw failure; // 4xx: the request is wrong (unknown function, bad key); retrying cannot help
                }
            } catch (IOException e) {
                failure = new TransportError("cannot reach Convex at " + baseUrl + " calling " + path + ": "
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()), 0, e);
            }
            if (attempt >= maxRetries) {
                throw new TransportError(failure.getMessage() + " (after " + (attempt + 1) + " attempts)",
                        failure.status(), failure.getCause());
            }
            sleep(backoff);
            backoff = backoff.multipliedBy(2);
        }
    }

    private Object result(String path, int status, String text) {
        JsonNode json;
        try {
            json = Lazy.JSON.readTree(text);
        } catch (IOException e) {
            throw new TransportError("Convex answered HTTP " + status + " to " + path + " with a body that is not JSON",
                    status, e);
        }
        if ("success".equals(json.path("status").asText())) {
            return ConvexValues.decode(json.get("value"));
        }
        Object data = json.has("errorData") ? ConvexValues.decode(json.get("errorData")) : null;
        throw new ConvexException.FunctionError(path, json.path("errorMessage").asText("unknown error"), data);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportError("interrupted while waiting to retry a Convex call", 0, e);
        }
    }

    @Override
    public String toString() {
        return "ConvexClient[" + baseUrl + (deployKey == null ? "" : ", deploy key set") + "]";
    }
}
