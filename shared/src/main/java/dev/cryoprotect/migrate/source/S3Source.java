package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.util.ArrayList;
import java.util.List;

/**
 * Migration files under one S3 prefix ({@code s3://bucket/prefix/NNN_name.sql}); objects in deeper "folders" are
 * ignored, as a directory source ignores subdirectories. New files are written only if absent (a conditional put), so
 * two creates can never overwrite each other.
 */
public final class S3Source implements MigrationSource {
    private final S3Client s3;
    private final String bucket;
    private final String prefix;

    /** @param prefix the folder, such as {@code migrations/} (a missing trailing slash is added; empty for the root) */
    public S3Source(S3Client s3, String bucket, String prefix) {
        this.s3 = s3;
        this.bucket = bucket;
        String p = prefix == null ? "" : prefix.strip();
        this.prefix = p.isEmpty() || p.endsWith("/") ? p : p + "/";
    }

    @Override
    public List<SourceFile> files() {
        List<SourceFile> files = new ArrayList<>();
        try {
            ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).delimiter("/").build();
            for (S3Object object : s3.listObjectsV2Paginator(request).contents()) {
                String name = object.key().substring(prefix.length());
                if (name.isEmpty()) {
                    continue;
                }
                if (object.size() != null && object.size() > MAX_FILE_BYTES) {
                    throw new MigrateException(Failure.BAD_INPUT, name + ": file is larger than "
                            + MAX_FILE_BYTES / (1024 * 1024) + " MiB; split it into several migrations", name, null, null);
                }
                files.add(new SourceFile(name, s3.getObjectAsBytes(b -> b.bucket(bucket).key(object.key())).asByteArray()));
            }
        } catch (S3Exception e) {
            throw new MigrateException(e.statusCode() == 404 ? Failure.BAD_INPUT : Failure.UNREACHABLE,
                    "cannot read migrations from " + describe() + ": " + e.awsErrorDetails().errorMessage(), e);
        } catch (SdkException e) {
            throw new MigrateException(Failure.UNREACHABLE, "cannot read migrations from " + describe() + ": "
                    + e.getMessage(), e);
        }
        return files;
    }

    @Override
    public void createNew(String name, byte[] content) {
        String key = prefix + name;
        try {
            if (keyExists(key)) {
                throw alreadyExists(name);
            }
            s3.putObject(b -> b.bucket(bucket).key(key).ifNoneMatch("*").contentType(contentType(name)),
                    RequestBody.fromBytes(content));
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                throw alreadyExists(name);
            }
            throw new MigrateException(Failure.UNREACHABLE, "cannot write " + name + " to " + describe() + ": "
                    + e.awsErrorDetails().errorMessage(), e);
        } catch (SdkException e) {
            throw new MigrateException(Failure.UNREACHABLE, "cannot write " + name + " to " + describe() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public boolean exists(String name) {
        try {
            return keyExists(prefix + name);
        } catch (SdkException e) {
            throw new MigrateException(Failure.UNREACHABLE, "cannot read " + describe() + name + ": " + e.getMessage(), e);
        }
    }

    private boolean keyExists(String key) {
        try {
            s3.headObject(b -> b.bucket(bucket).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    private MigrateException alreadyExists(String name) {
        return new MigrateException(Failure.BAD_INPUT, name + " already exists in " + describe()
                + "; refusing to overwrite it", name, null, null);
    }

    private static String contentType(String name) {
        return name.endsWith(".json") ? "application/json" : "text/plain; charset=utf-8";
    }

    @Override
    public String describe() {
        return "s3://" + bucket + "/" + prefix;
    }
}
