package dev.cryoprotect.migrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stack's HTTP API (IAM auth) as a CI job calls it: each request signed with SigV4 for {@code execute-api} with
 * the caller's AWS credentials (environment, profile, SSO or an assumed role, as the AWS CLI finds them).
 */
final class SignedApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REGION = Pattern.compile("\\.execute-api\\.([a-z0-9-]+)\\.amazonaws\\.com");
    /** Headers java.net.http sets itself and refuses to be given. */
    private static final Set<String> RESTRICTED = Set.of("host", "content-length", "connection", "expect", "upgrade");

    private final URI base;
    private final String region;
    private final AwsCredentialsProvider credentials;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** @param region the API's region; null to read it from the URL ({@code ...execute-api.REGION.amazonaws.com}) */
    SignedApi(String url, String region, AwsCredentialsProvider credentials) {
        if (url == null || url.isBlank()) {
            throw MigrateException.badInput("--api (or MIGRATE_API_URL) is required: the stack's ApiUrl output, such as"
                    + " https://abc123.execute-api.us-east-1.amazonaws.com");
        }
        try {
            this.base = URI.create(url.strip().replaceAll("/+$", ""));
        } catch (IllegalArgumentException e) {
            throw MigrateException.badInput("--api is not a URL: " + url);
        }
        if (base.getScheme() == null || base.getHost() == null) {
            throw MigrateException.badInput("--api must be an http(s) URL such as the stack's ApiUrl output, not " + url);
        }
        Matcher m = REGION.matcher(base.getHost());
        this.region = region != null ? region : m.find() ? m.group(1) : null;
        if (this.region == null) {
            throw MigrateException.badInput("cannot tell the API's region from " + url + "; set AWS_REGION");
        }
        this.credentials = credentials;
    }

    /** The answer: HTTP status and JSON body. */
    record Answer(int status, JsonNode body) {
    }

    Answer post(String path, Object body) {
        return send(SdkHttpMethod.POST, path, body == null ? "" : write(body));
    }

    Answer get(String path) {
        return send(SdkHttpMethod.GET, path, null);
    }

    private Answer send(SdkHttpMethod method, String path, String body) {
        URI uri = URI.create(base + path);
        SdkHttpRequest.Builder unsigned = SdkHttpRequest.builder().method(method).uri(uri);
        if (body != null) {
            unsigned.putHeader("Content-Type", "application/json");
        }
        SignedRequest signed;
        try {
            signed = AwsV4HttpSigner.create().sign(r -> r.identity(credentials.resolveCredentials())
                    .request(unsigned.build())
                    .payload(body == null ? null : ContentStreamProvider.fromUtf8String(body))
                    .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "execute-api")
                    .putProperty(AwsV4HttpSigner.REGION_NAME, region));
        } catch (SdkException e) {
            throw new MigrateException(Failure.UNREACHABLE, "no AWS credentials to sign the request with: "
                    + e.getMessage(), e);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .method(method.name(), body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        for (Map.Entry<String, List<String>> header : signed.request().headers().entrySet()) {
            if (!RESTRICTED.contains(header.getKey().toLowerCase(java.util.Locale.ROOT))) {
                header.getValue().forEach(v -> request.header(header.getKey(), v));
            }
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode parsed;
            try {
                parsed = response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
            } catch (IOException e) {
                parsed = JSON.createObjectNode().put("message", response.body());
            }
            return new Answer(response.statusCode(), parsed);
        } catch (IOException e) {
            throw new MigrateException(Failure.UNREACHABLE, "cannot reach " + base + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MigrateException(Failure.UNREACHABLE, "interrupted while calling " + base, e);
        }
    }

    String describe() {
        return base.toString();
    }

    private static String write(Object body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
