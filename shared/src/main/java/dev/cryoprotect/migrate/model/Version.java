package dev.cryoprotect.migrate.model;

import java.math.BigInteger;

/**
 * A migration version: digits, compared as a number, so "001" &lt; "010" and Supabase-CLI timestamps such as
 * "20240101120000" sort correctly. {@link #text()} keeps the spelling from the file name.
 */
public record Version(String text, BigInteger number) implements Comparable<Version> {
    public static Version parse(String text) {
        if (!isValid(text)) {
            throw new IllegalArgumentException("version must be digits, got '" + text + "'");
        }
        return new Version(text, new BigInteger(text));
    }

    public static boolean isValid(String text) {
        if (text == null || text.isEmpty()) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    @Override
    public int compareTo(Version other) {
        return number.compareTo(other.number);
    }

    /** Same number, whatever the zero padding. */
    public boolean sameAs(Version other) {
        return other != null && number.equals(other.number);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Version v && number.equals(v.number);
    }

    @Override
    public int hashCode() {
        return number.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
