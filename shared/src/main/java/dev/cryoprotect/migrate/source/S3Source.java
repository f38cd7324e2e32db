package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Migration files under one S3 prefix ({@code s3://bucket/prefix/NNN_name.sql}); objects in deeper "folders" are
 * ignored, as a directory source ignores subdirectories. The prefix is listed once and the files fetched in parallel;
 * with a {@link FileCache} (a Lambda container keeps one across invocations) an object whose ETag is unchanged is not
 * fetched again. New files are written only if absent (a conditional put), so two creates never overwrite each other.
 */
public final class S3Source implements MigrationSource {
    /** Fetches in flight at once: enough to hide S3's per-request latency, few enough for a small Lambda. */
    private static final int PARALLEL_FETCHES = 16;
    private static final ExecutorService FETCHERS = Executors.newFixedThreadPool(PARALLEL_FETCHES, r -> {
        Thread thread = new Thread(r, "s3-source-fetch");
        thread.setDaemon(true);
        return thread;
    });

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final FileCache cache;
    private volatile List<String> listedFolders; // by the last files(), for folders()

    /** @param prefix the folder, such as {@code migrations/} (a missing trailing slash is added; empty for the root) */
    public S3Source(S3Client s3, String bucket, String prefix) {
        this(s3, bucket, prefix, null);
    }

    /** @param cache file contents by key and ETag, kept across calls (null: fetch every file every time) */
    public S3Source(S3Client s3, String bucket, String prefix, FileCache cache) {
        this.s3 = s3;
        this.bucket = bucket;
        String p = prefix == null ? "" : prefix.strip();
        this.prefix = p.isEmpty() || p.endsWith("/") ? p : p + "/";
        this.cache = cache;
    }

    @Override
    public List<SourceFile> files() {
        try {
            List<S3Object> objects = new ArrayList<>();
            List<String> folders = new ArrayList<>();
            for (ListObjectsV2Response page : s3.listObjectsV2Paginator(listing())) {
                for (S3Object object : page.contents()) {
                    String name = object.key().substring(prefix.length());
                    if (name.isEmpty()) {
                        continue;
                    }
                    if (object.size() != null && object.size() > MAX_FILE_BYTES) {
                        throw new MigrateException(Failure.BAD_INPUT, name + ": file is larger than "
                                + MAX_FILE_BYTES / (1024 * 1024) + " MiB; split it into several migrations", name,
                                null, null);
                    }
                    objects.add(object);
                }
                folders.addAll(folderNames(page));
            }
            listedFolders = folders;
            List<Future<SourceFile>> fetches = new ArrayList<>();
            for (S3Object object : objects) {
                fetches.add(FETCHERS.submit(() -> fetch(object)));
            }
            List<SourceFile> files = new ArrayList<>();
            for (Future<SourceFile> fetch : fetches) {
                files.add(await(fetch));
            }
            return files;
        } catch (S3Exception e) {
            throw new MigrateException(e.statusCode() == 404 ? Failure.BAD_INPUT : Failure.UNREACHABLE,
                    "cannot read migrations from " + describe() + ": " + e.awsErrorDetails().errorMessage(), e);
        } catch (SdkException e) {
            throw new MigrateException(Failure.UNREACHABLE, "cannot read migrations from " + describe() + ": "
                    + e.getMessage(), e);
        }
    }

    /** The prefix's own objects, with what lies deeper folded into common prefixes (its sub-"folders"). */
    private ListObjectsV2Request listing() {
        return ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).delimiter("/").build();
    }

    private List<String> folderNames(ListObjectsV2Response page) {
        List<String> names = new ArrayList<>();
        for (CommonPrefix common : page.commonPrefixes()) {
            String name = common.prefix().substring(prefix.length()).replaceFirst("/$", "");
            if (!name.isEmpty() && !name.startsWith(".")) {
                names.add(name);
            }
        }
        return names;
    }

    /** The sub-folders the last {@link #files()} listing saw (no second request), else a listing of its own. */
    @Override
    public List<String> folders() {
        List<String> folders = listedFolders;
        if (folders == null) {
            try {
                folders = new ArrayList<>();
                for (ListObjectsV2Response page : s3.listObjectsV2Paginator(listing())) {
                    folders.addAll(folderNames(page));
                }
            } catch (SdkException e) {
                return List.of(); // only a notice depends on it; files() reports an unreadable prefix
            }
        }
        List<String> sorted = new ArrayList<>(folders);
        sorted.sort(null);
        return sorted;
    }

    private SourceFile fetch(S3Object object) {
        String name = object.key().substring(prefix.length());
        byte[] cached = cache == null ? null : cache.get(bucket, object.key(), object.eTag());
        if (cached != null) {
            return new SourceFile(name, cached);
        }
        var response = s3.getObjectAsBytes(b -> b.bucket(bucket).key(object.key()));
        byte[] bytes = response.asByteArray();
        if (cache != null) {
            cache.put(bucket, object.key(), response.response().eTag(), bytes);
        }
        return new SourceFile(name, bytes);
    }

    /** The fetch's file, or its S3 failure as thrown by the caller's thread. */
    private static SourceFile await(Future<SourceFile> fetch) {
        try {
            return fetch.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MigrateException(Failure.UNREACHABLE, "interrupted while reading migrations from S3", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * File contents by bucket, key and ETag, kept while a Lambda container lives, bounded in total size. An object is
     * served from here only while S3 lists it with the same ETag, so an edited file is always fetched again.
     */
    public static final class FileCache {
        private final long maxBytes;
        private final Map<String, Entry> entries = new ConcurrentHashMap<>();
        private final AtomicLong bytes = new AtomicLong();

        private record Entry(String eTag, byte[] content) {
        }

        public FileCache(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        byte[] get(String bucket, String key, String eTag) {
            Entry entry = entries.get(bucket + "/" + key);
            return entry != null && eTag != null && entry.eTag().equals(eTag) ? entry.content() : null;
        }

        void put(String bucket, String key, String eTag, byte[] content) {
            if (eTag == null || bytes.get() + content.length > maxBytes) {
                return; // full: serve the rest from S3
            }
            Entry old = entries.put(bucket + "/" + key, new Entry(eTag, content));
            bytes.addAndGet(content.length - (old == null ? 0 : old.content().length));
        }
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
