package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.MigrationSet;
import dev.cryoprotect.migrate.testing.MigrationSourceContractTest;
import dev.cryoprotect.migrate.testing.TestAws;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Migration files in S3 (LocalStack): the source contract, loading, and create that never overwrites. */
class S3SourceTest extends MigrationSourceContractTest {
    private S3Client s3;
    private String bucket;

    @BeforeEach
    void setUp() {
        s3 = TestAws.client(S3Client.builder().forcePathStyle(true));
        bucket = "migrations-" + UUID.randomUUID();
        s3.createBucket(b -> b.bucket(bucket));
    }

    @Override
    protected MigrationSource emptySource() {
        return new S3Source(s3, bucket, "migrations/");
    }

    @Override
    protected MigrationSource missingSource() {
        // S3 has no empty folders: a missing folder is a bucket that does not exist.
        return new S3Source(s3, "no-such-bucket-" + UUID.randomUUID(), "migrations/");
    }

    @Override
    protected void put(MigrationSource source, String relativePath, byte[] content) {
        s3.putObject(b -> b.bucket(bucket).key("migrations/" + relativePath), RequestBody.fromBytes(content));
    }

    private void put(String key, String text) {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(text, StandardCharsets.UTF_8));
    }

    @Test
    void loadsTheFilesOfOnePrefixOnly() {
        put("migrations/001_a.sql", "CREATE TABLE a (id int);");
        put("migrations/001_a.down.sql", "DROP TABLE a;");
        put("migrations/002_b.json", "{\"version\": \"002\", \"schema\": {\"b\": {\"x\": \"string\"}}}");
        put("migrations/archive/003_old.sql", "SELECT 1;");
        put("other/004_elsewhere.sql", "SELECT 1;");
        MigrationSet set = MigrationLoader.load(new S3Source(s3, bucket, "migrations"));
        assertEquals(List.of("001", "002"), set.migrations().stream().map(m -> m.version().text()).toList());
        assertTrue(set.migrations().get(0).down().isPresent());
    }

    @Test
    void aBadFileInS3IsNamedLikeALocalOne() {
        put("migrations/001_Bad.sql", "SELECT 1;\nCOMMIT;\n");
        InvalidMigrationsException e = assertThrows(InvalidMigrationsException.class,
                () -> MigrationLoader.load(new S3Source(s3, bucket, "migrations/")));
        assertTrue(e.getMessage().contains("001_Bad.sql:2: COMMIT without a BEGIN"), e.getMessage());
    }

    @Test
    void createWritesTheNextVersionAndNeverOverwrites() {
        put("migrations/001_a.sql", "SELECT 1;");
        S3Source source = new S3Source(s3, bucket, "migrations/");
        List<String> created = MigrationScaffold.create(source, "add_teams", MigrationScaffold.Kind.BOTH, Clock.systemUTC());
        assertEquals(List.of("002_add_teams.sql", "002_add_teams.down.sql", "002_add_teams.json"), created);
        assertTrue(s3.getObjectAsBytes(b -> b.bucket(bucket).key("migrations/002_add_teams.json")).asUtf8String()
                .contains("\"version\": \"002\""));
        MigrateException e = assertThrows(MigrateException.class,
                () -> source.createNew("002_add_teams.sql", "DROP TABLE users;".getBytes(StandardCharsets.UTF_8)));
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertTrue(e.getMessage().contains("refusing to overwrite"), e.getMessage());
        assertTrue(s3.getObjectAsBytes(b -> b.bucket(bucket).key("migrations/002_add_teams.sql")).asUtf8String()
                .startsWith("-- 002_add_teams"), "the first file is intact");
    }

    @Test
    void aMissingBucketIsAClearError() {
        MigrateException e = assertThrows(MigrateException.class,
                () -> MigrationLoader.load(new S3Source(s3, "no-such-bucket-" + UUID.randomUUID(), "migrations/")));
        assertTrue(e.getMessage().contains("cannot read migrations from s3://no-such-bucket-"), e.getMessage());
    }

    /** Counts the GetObject calls an S3 client makes. */
    private static final class CountingGets implements software.amazon.awssdk.core.interceptor.ExecutionInterceptor {
        final java.util.concurrent.atomic.AtomicInteger gets = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void beforeExecution(software.amazon.awssdk.core.interceptor.Context.BeforeExecution context,
                                    software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
            if (context.request() instanceof software.amazon.awssdk.services.s3.model.GetObjectRequest) {
                gets.incrementAndGet();
            }
        }
    }

    @Test
    void aWarmCacheFetchesOnlyWhatChangedAndServesTheSameBytes() {
        for (int i = 1; i <= 40; i++) {
            put(String.format("migrations/%03d_t%d.sql", i, i), "CREATE TABLE t" + i + " (id int);");
        }
        CountingGets counter = new CountingGets();
        S3Client counted = TestAws.client(S3Client.builder().forcePathStyle(true)
                .overrideConfiguration(c -> c.addExecutionInterceptor(counter)));
        S3Source.FileCache cache = new S3Source.FileCache(1 << 20);
        List<MigrationSource.SourceFile> cold = new S3Source(counted, bucket, "migrations/", cache).files();
        assertEquals(40, cold.size());
        assertEquals(40, counter.gets.get(), "a cold cache fetches every file, once");

        put("migrations/007_t7.sql", "CREATE TABLE t7 (id bigint);");
        List<MigrationSource.SourceFile> warm = new S3Source(counted, bucket, "migrations/", cache).files();
        assertEquals(41, counter.gets.get(), "warm: only the edited file is fetched again");
        String t7 = warm.stream().filter(f -> f.name().equals("007_t7.sql")).map(f -> new String(f.content(),
                StandardCharsets.UTF_8)).findFirst().orElseThrow();
        assertEquals("CREATE TABLE t7 (id bigint);", t7, "never a stale file");
        assertEquals(cold.stream().map(MigrationSource.SourceFile::name).sorted().toList(),
                warm.stream().map(MigrationSource.SourceFile::name).sorted().toList());
        assertEquals(40, MigrationLoader.load(new S3Source(counted, bucket, "migrations/", cache)).migrations().size());
    }
}
