package dev.cryoprotect.migrate.bench;

import dev.cryoprotect.migrate.source.MigrationLoader;
import dev.cryoprotect.migrate.source.MigrationSource;
import dev.cryoprotect.migrate.source.S3Source;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code bench s3 [files] [endpoint]}: loading a migration folder from S3 the way the functions do, against a local S3
 * such as LocalStack (default http://127.0.0.1:4566, 500 files): the old way (list, then one GET at a time), the
 * parallel fetch, and a warm container's ETag cache. Median of 5 of each.
 */
final class S3SourceBenchmark {
    private S3SourceBenchmark() {
    }

    public static void main(String[] args) {
        int files = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        String endpoint = args.length > 1 ? args[1] : "http://127.0.0.1:4566";
        S3Client s3 = S3Client.builder().httpClientBuilder(UrlConnectionHttpClient.builder())
                .endpointOverride(URI.create(endpoint)).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build();
        String bucket = "bench-" + UUID.randomUUID();
        s3.createBucket(b -> b.bucket(bucket));
        for (int i = 1; i <= files; i++) {
            String v = String.format("%04d", i);
            String sql = "CREATE TABLE t" + i + " (id int PRIMARY KEY, note text);\nCREATE INDEX t" + i + "_note ON t" + i
                    + " (note);\n";
            s3.putObject(b -> b.bucket(bucket).key("migrations/" + v + "_step.sql"), RequestBody.fromString(sql));
        }
        System.out.printf("%d files in s3://%s/migrations/ at %s%n", files, bucket, endpoint);
        report("sequential (list, then one GET at a time)", () -> sequential(s3, bucket));
        report("parallel fetch, no cache (a cold container)", () -> new S3Source(s3, bucket, "migrations/").files());
        S3Source.FileCache cache = new S3Source.FileCache(64L << 20);
        new S3Source(s3, bucket, "migrations/", cache).files();
        report("parallel fetch, warm ETag cache (a warm container)",
                () -> new S3Source(s3, bucket, "migrations/", cache).files());
        long started = System.nanoTime();
        int loaded = MigrationLoader.load(new S3Source(s3, bucket, "migrations/", cache)).migrations().size();
        System.out.printf("load and validate all %d migrations, warm: %d ms%n", loaded, (System.nanoTime() - started) / 1_000_000);
    }

    private static List<MigrationSource.SourceFile> sequential(S3Client s3, String bucket) {
        List<MigrationSource.SourceFile> out = new ArrayList<>();
        s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix("migrations/").delimiter("/")).contents().forEach(o ->
                out.add(new MigrationSource.SourceFile(o.key(), s3.getObjectAsBytes(b -> b.bucket(bucket).key(o.key()))
                        .asByteArray())));
        return out;
    }

    private static void report(String what, java.util.function.Supplier<List<MigrationSource.SourceFile>> load) {
        load.get(); // warm the JIT and connections
        long[] ms = new long[5];
        for (int i = 0; i < ms.length; i++) {
            long started = System.nanoTime();
            load.get();
            ms[i] = (System.nanoTime() - started) / 1_000_000;
        }
        java.util.Arrays.sort(ms);
        System.out.printf("%-52s median %5d ms  (min %d, max %d)%n", what, ms[2], ms[0], ms[4]);
    }
}
