package dev.cryoprotect.migrate.wiring;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.sfn.SfnClient;

import java.net.URI;
import java.time.Duration;

/**
 * AWS SDK clients as the functions use them: the URL-connection HTTP client (no Netty, no Apache client: cold starts
 * matter), the region and, for a local AWS such as LocalStack, its endpoint and path-style S3.
 */
final class AwsClients {
    private final Settings settings;

    AwsClients(Settings settings) {
        this.settings = settings;
    }

    S3Client s3() {
        return configure(S3Client.builder().forcePathStyle(settings.awsEndpoint() != null)).build();
    }

    SecretsManagerClient secretsManager() {
        return configure(SecretsManagerClient.builder()).build();
    }

    SfnClient stepFunctions() {
        return configure(SfnClient.builder()).build();
    }

    private <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B builder) {
        builder.httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(30)))
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials());
        if (settings.awsEndpoint() != null) {
            builder.endpointOverride(URI.create(settings.awsEndpoint()));
        }
        return builder;
    }

    private AwsCredentialsProvider credentials() {
        if (settings.awsEndpoint() != null && System.getenv("AWS_ACCESS_KEY_ID") == null) {
            return StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")); // a local endpoint
        }
        return DefaultCredentialsProvider.builder().build();
    }
}
