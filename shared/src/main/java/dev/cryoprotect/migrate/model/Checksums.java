package dev.cryoprotect.migrate.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;

/** SHA-256 checksums, as lower-case hex. */
public final class Checksums {
    private Checksums() {
    }

    /** A file's text with line endings normalised, so a checkout on Windows does not look like an edit. */
    public static String sha256(String text) {
        return sha256(text.replace("\r\n", "\n").replace('\r', '\n').getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The checksums a recorded one may have and still mean "this file, unchanged": the file's own, and those of the
     * same text with no final newline or exactly one. An editor adding or dropping the last newline is not an edit.
     */
    public static Set<String> equivalents(String text) {
        String normalised = text.replace("\r\n", "\n").replace('\r', '\n');
        String core = FINAL_NEWLINES.matcher(normalised).replaceFirst("");
        return java.util.stream.Stream.of(normalised, core, core + "\n").map(Checksums::sha256)
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
    }

    /** Bytes as they are. */
    public static String sha256(byte[] bytes) {
        return HEX.formatHex(sha256Digest(bytes));
    }

    /** The digest itself, for a caller that writes its hex digits where they go (the sync, once per document). */
    public static byte[] sha256Digest(byte[] bytes) {
        return SHA256.get().digest(bytes); // digest() leaves the digest reset for the next one
    }

    private static final HexFormat HEX = HexFormat.of();
    private static final java.util.regex.Pattern FINAL_NEWLINES = java.util.regex.Pattern.compile("\n+$");
    /** One digest per thread: the sync hashes every document, and looking the algorithm up each time shows. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    });
}
