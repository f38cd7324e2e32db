package dev.cryoprotect.migrate.wiring;

import java.util.Optional;

/**
 * The databases to fall back on when none is configured: the CLI's embedded PostgreSQL and local Convex backend. A
 * deployed function has none ({@link #NONE}), so there a missing setting is an error.
 */
public interface LocalDatabases {

    /** A Convex deployment's address and deploy key. */
    record ConvexEndpoint(String url, String deployKey) {
        @Override
        public String toString() {
            return "ConvexEndpoint[" + url + "]"; // the key stays out of logs
        }
    }

    /** The JDBC URL of the local PostgreSQL (started if needed), or empty when there is none. */
    Optional<String> postgresUrl();

    /** The local Convex backend (started if needed), or empty when it cannot run here. */
    Optional<ConvexEndpoint> convex();

    /** Why {@link #convex()} is empty, for the notice or error that says so. */
    String whyNoConvex();

    LocalDatabases NONE = new LocalDatabases() {
        @Override
        public Optional<String> postgresUrl() {
            return Optional.empty();
        }

        @Override
        public Optional<ConvexEndpoint> convex() {
            return Optional.empty();
        }

        @Override
        public String whyNoConvex() {
            return "CONVEX_URL is not set";
        }
    };
}
