package dev.cryoprotect.migrate.testing;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * LocalStack on this machine, without Docker (see shared/AWS-LOCAL.md): installed once from PyPI into
 * {@code .local/localstack} with Python 3.13, started once per test JVM unless one already answers on port 4566,
 * and stopped when the JVM exits if this JVM started it.
 */
public final class TestAws {
    public static final String ENDPOINT = "http://127.0.0.1:4566";
    public static final String REGION = "us-east-1";
    private static final List<String> PACKAGES = List.of("localstack-core[runtime]==4.14.0", "cbor2<5.7",
            "pyOpenSSL<24.3", "cryptography>=43,<44", "service_identity");
    private static boolean ready;

    private TestAws() {
    }

    /** Builds an SDK client pointed at LocalStack, with the URL-connection HTTP client the functions use. */
    public static <B extends AwsClientBuilder<B, C> & AwsSyncClientBuilder<B, C>, C> C client(B builder) {
        ensureRunning();
        return builder.httpClientBuilder(UrlConnectionHttpClient.builder())
                .endpointOverride(URI.create(ENDPOINT))
                .region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .build();
    }

    public static synchronized void ensureRunning() {
        if (ready || healthy()) {
            ready = true;
            return;
        }
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path venv = root.resolve(".local/localstack");
        try {
            if (!Files.isExecutable(venv.resolve("bin/python"))) {
                install(venv);
            }
            Path log = root.resolve(".local/localstack.log");
            ProcessBuilder pb = new ProcessBuilder(venv.resolve("bin/python").toString(), "-m", "localstack.runtime.main")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().put("GATEWAY_LISTEN", "127.0.0.1:4566");
            pb.environment().put("SERVICES", "s3,secretsmanager,logs,stepfunctions,events,sts");
            pb.environment().put("LOCALSTACK_VOLUME_DIR", root.resolve(".local/localstack-data").toString());
            pb.environment().put("DNS_ADDRESS", "0");
            Process process = pb.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                process.destroy();
                try {
                    process.waitFor(20, TimeUnit.SECONDS);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
                process.destroyForcibly();
            }));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!healthy()) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("LocalStack did not start; see " + log);
                }
                Thread.sleep(500);
            }
            ready = true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void install(Path venv) throws IOException, InterruptedException {
        String python = python313();
        run(List.of(python, "-m", "venv", venv.toString()));
        List<String> pip = new ArrayList<>(List.of(venv.resolve("bin/pip").toString(), "install", "-q"));
        pip.addAll(PACKAGES);
        run(pip);
    }

    /** LocalStack 4.14 needs Python 3.13 (pyenv has it on these machines). */
    private static String python313() throws IOException, InterruptedException {
        for (Path candidate : List.of(Path.of(System.getProperty("user.home"), ".pyenv/versions/3.13.0/bin/python3"),
                Path.of("/usr/bin/python3.13"), Path.of("/usr/local/bin/python3.13"))) {
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        Process p = new ProcessBuilder("pyenv", "prefix", "3.13.0").redirectErrorStream(true).start();
        String prefix = new String(p.getInputStream().readAllBytes()).strip();
        if (p.waitFor() == 0 && Files.isExecutable(Path.of(prefix, "bin/python3"))) {
            return Path.of(prefix, "bin/python3").toString();
        }
        throw new IllegalStateException("LocalStack needs Python 3.13 (pyenv install 3.13.0)");
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed with exit code " + p.exitValue());
        }
    }

    private static boolean healthy() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(ENDPOINT + "/_localstack/health").toURL().openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(2000);
            boolean ok = c.getResponseCode() == 200;
            c.disconnect();
            return ok;
        } catch (IOException e) {
            return false;
        }
    }
}
