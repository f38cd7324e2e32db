package dev.cryoprotect.migrate.wiring;

import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.database.postgres.PostgresConfig;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Supabase connection strings that cannot work where they are used, refused up front with the fix, instead of a
 * connection timeout or a lock that silently does not hold:
 * <ul>
 *   <li>the direct host {@code db.<ref>.supabase.co} from Lambda outside a VPC: that host has only an IPv6 address and
 *       such a function has no IPv6 egress;</li>
 *   <li>the transaction pooler (port 6543) for migrations: it hands each transaction to another server connection, so
 *       the session advisory lock and session settings do not hold.</li>
 * </ul>
 */
final class SupabaseHosts {
    private static final Pattern HOST_PORT = Pattern.compile("^jdbc:postgresql://([^/:?,]+)(?::(\\d+))?");
    private static final Pattern DIRECT = Pattern.compile("db\\.([a-z0-9]+)\\.supabase\\.co");

    private SupabaseHosts() {
    }

    /** @param forMigrations the run takes the session lock (apply, rollback, ...), not a sync's plain reads */
    static void check(PostgresConfig config, boolean inLambdaOutsideVpc, boolean forMigrations) {
        Matcher m = HOST_PORT.matcher(config.jdbcUrl());
        if (!m.find()) {
            return;
        }
        String host = m.group(1).toLowerCase(java.util.Locale.ROOT);
        int port = m.group(2) == null ? 5432 : Integer.parseInt(m.group(2));
        Matcher direct = DIRECT.matcher(host);
        if (inLambdaOutsideVpc && direct.matches()) {
            throw MigrateException.badInput("the database host " + host + " is Supabase's direct connection, which has"
                    + " only an IPv6 address, and a Lambda function outside a VPC has no IPv6 egress. Use the session"
                    + " pooler URL from the Supabase dashboard (Connect, Session pooler): postgresql://postgres."
                    + direct.group(1) + ":PASSWORD@aws-0-<region>.pooler.supabase.com:5432/postgres, or deploy the"
                    + " functions into a dual-stack VPC (template parameters VpcSubnetIds and VpcSecurityGroupIds)");
        }
        if (forMigrations && port == 6543 && host.endsWith(".pooler.supabase.com")) {
            throw MigrateException.badInput("port 6543 on " + host + " is Supabase's transaction pooler: it gives each"
                    + " transaction another server connection, so the session lock that keeps two runs apart does not"
                    + " hold. Use port 5432 on the same host (the session pooler) or the direct connection");
        }
    }
}
