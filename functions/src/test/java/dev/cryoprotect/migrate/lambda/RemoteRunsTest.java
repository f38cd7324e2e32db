package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cryoprotect.migrate.cli.CliRun;
import dev.cryoprotect.migrate.testing.TestAws;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.services.sfn.SfnClient;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CI's path: {@code migrate remote} signs its requests (SigV4, execute-api) and talks to the API routes as API Gateway
 * delivers them to the UniversalRunsApi handler, which starts and reads executions on (LocalStack's) Step Functions.
 * The API here is a local stand-in for API Gateway's IAM check and its payload 2.0 events: it recomputes each
 * request's signature with the caller's known key and refuses (403) any that does not match.
 */
class RemoteRunsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private HttpServer api;
    private Map<String, String> functionEnv;
    private String stateMachineArn;
    private int forbidden;

    @BeforeEach
    void setUp() throws IOException {
        SfnClient sfn = TestAws.client(SfnClient.builder());
        functionEnv = new HashMap<>(Map.of("AWS_ENDPOINT_URL", TestAws.ENDPOINT, "AWS_REGION", TestAws.REGION,
                "USE_CONVEX", "false", "AWS_LAMBDA_FUNCTION_NAME", "UniversalRunsApi"));
        api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        api.createContext("/", this::handle);
        api.start();
    }

    @AfterEach
    void tearDown() {
        api.stop(0);
    }

    private String machine(String definition) {
        SfnClient sfn = TestAws.client(SfnClient.builder());
        stateMachineArn = sfn.createStateMachine(b -> b.name("universal-" + UUID.randomUUID())
                .roleArn("arn:aws:iam::000000000000:role/universal").definition(definition)).stateMachineArn();
        functionEnv.put("UNIVERSAL_STATE_MACHINE_ARN", stateMachineArn);
        return stateMachineArn;
    }

    private Map<String, String> ci(String secretKey) {
        return Map.of("AWS_ACCESS_KEY_ID", "AKIDCI", "AWS_SECRET_ACCESS_KEY", secretKey, "AWS_REGION", "us-east-1",
                "MIGRATE_API_URL", "http://127.0.0.1:" + api.getAddress().getPort());
    }

    @Test
    void aRunThatSucceedsIsStartedPolledAndPrintedWithExitZero() throws Exception {
        machine("""
                {"StartAt": "Work", "States": {
                  "Work": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
                  "Done": {"Type": "Pass", "Parameters": {"plan": {"target": "003"}, "target.$": "$.target",
                           "dryRun.$": "$.dryRun"}, "End": true}}}
                """);
        CliRun run = CliRun.of(ci("secret"), "remote", "--target", "003", "--dry-run", "--poll", "0.2", "--format",
                "json");
        assertEquals(0, run.exitCode(), run.toString());
        JsonNode result = JSON.readTree(run.out());
        assertEquals("SUCCEEDED", result.get("status").asText());
        assertEquals("003", result.get("output").get("target").asText(), "the input CI gave reached the execution");
        assertTrue(result.get("output").get("dryRun").asBoolean());
        assertTrue(run.err().contains("started universal run run-") && run.err().contains(": RUNNING")
                && run.err().contains(": SUCCEEDED"), run.err());
    }

    @Test
    void aRunThatFailsExitsOneWithWhatFailed() throws Exception {
        // The real definition; its Lambda functions do not exist here, so its first task fails and the run fails.
        String definition = Files.readString(Path.of("..", "statemachine", "universal.asl.json"))
                .replaceAll("\\$\\{(\\w+)Arn}", "arn:aws:lambda:us-east-1:000000000000:function:$1:live");
        machine(definition);
        CliRun run = CliRun.of(ci("secret"), "remote", "--poll", "0.2");
        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.out().contains(": FAILED"), run.out());
    }

    @Test
    void noWaitPrintsTheRunIdAndRunFollowsIt() throws Exception {
        machine("""
                {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}
                """);
        CliRun started = CliRun.of(ci("secret"), "remote", "--no-wait", "--format", "json");
        assertEquals(0, started.exitCode(), started.toString());
        String runId = JSON.readTree(started.out()).get("runId").asText();
        assertTrue(runId.startsWith("run-"), runId);
        CliRun followed = CliRun.of(ci("secret"), "remote", "--run", runId, "--poll", "0.2", "--format", "json");
        assertEquals(0, followed.exitCode(), followed.toString());
        assertEquals(runId, JSON.readTree(followed.out()).get("runId").asText());
        CliRun unknown = CliRun.of(ci("secret"), "remote", "--run", "run-unknown", "--poll", "0.2");
        assertEquals(2, unknown.exitCode(), unknown.toString());
        assertTrue(unknown.err().contains("no universal run run-unknown"), unknown.err());
    }

    @Test
    void aWrongSignatureIsRefusedWithTheFix() {
        machine("""
                {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}
                """);
        CliRun run = CliRun.of(ci("not-the-secret"), "remote");
        assertEquals(4, run.exitCode(), run.toString());
        assertTrue(run.err().contains("CiInvokePolicyArn"), run.err());
        assertEquals(1, forbidden);
    }

    // ---- the stand-in for API Gateway (IAM auth, payload 2.0) -------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        if (!signatureMatches(exchange, body, "secret")) {
            forbidden++;
            reply(exchange, 403, "{\"message\":\"The request signature we calculated does not match\"}");
            return;
        }
        String path = exchange.getRequestURI().getPath();
        ObjectNode event = JSON.createObjectNode().put("version", "2.0").put("rawPath", path);
        ObjectNode context = event.putObject("requestContext");
        context.putObject("http").put("method", exchange.getRequestMethod()).put("path", path);
        if (exchange.getRequestMethod().equals("POST") && path.equals("/runs")) {
            event.put("routeKey", "POST /runs").put("body", new String(body, StandardCharsets.UTF_8));
        } else if (exchange.getRequestMethod().equals("GET") && path.startsWith("/runs/")) {
            event.put("routeKey", "GET /runs/{runId}");
            event.putObject("pathParameters").put("runId", path.substring("/runs/".length()));
        } else {
            reply(exchange, 404, "{\"message\":\"Not Found\"}");
            return;
        }
        ByteArrayOutputStream response = new ByteArrayOutputStream();
        new UniversalRunsApi(new Container(functionEnv, line -> { })).handleRequest(
                new ByteArrayInputStream(JSON.writeValueAsBytes(event)), response, null);
        JsonNode answer = JSON.readTree(response.toByteArray());
        reply(exchange, answer.get("statusCode").asInt(), answer.get("body").asText());
    }

    /** Recomputes the request's SigV4 signature with the caller's key at the request's own X-Amz-Date. */
    private boolean signatureMatches(HttpExchange exchange, byte[] body, String secretKey) {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        String amzDate = exchange.getRequestHeaders().getFirst("X-Amz-Date");
        if (authorization == null || amzDate == null || !authorization.contains("/us-east-1/execute-api/aws4_request")) {
            return false;
        }
        Instant at = Instant.from(AMZ_DATE.parse(amzDate));
        URI uri = URI.create("http://127.0.0.1:" + api.getAddress().getPort() + exchange.getRequestURI());
        SdkHttpRequest.Builder request = SdkHttpRequest.builder().method(SdkHttpMethod.fromValue(exchange.getRequestMethod()))
                .uri(uri);
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType != null) {
            request.putHeader("Content-Type", contentType);
        }
        String expected = AwsV4HttpSigner.create().sign(r -> r.identity(AwsBasicCredentials.create("AKIDCI", secretKey))
                        .request(request.build())
                        .payload(body.length == 0 && exchange.getRequestMethod().equals("GET") ? null
                                : ContentStreamProvider.fromByteArray(body))
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "execute-api")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                        .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(at, ZoneOffset.UTC)))
                .request().firstMatchingHeader("Authorization").orElse("");
        return expected.equals(authorization);
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
