package dev.cryoprotect.migrate.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of a file's text with line endings normalised, so a checkout on Windows does not look like an edit. */
public final class Checksums {
    private Checksums() {
    }

    public static String sha256(String text) {
        String normalised = text.replace("\r\n", "\n").replace('\r', '\n');
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(normalised.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }
}
