package dev.cryoprotect.migrate.source;

/** One thing wrong with one migration file; {@code line} is 1-based or null when the problem is the file as a whole. */
public record Problem(String file, Integer line, String message) {
    @Override
    public String toString() {
        return line == null ? file + ": " + message : file + ":" + line + ": " + message;
    }
}
