package io.github.meterstream.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kill Bill server (the {@code killbill-profiles-killbill} war under {@code jetty-runner}) run as a
 * child JVM on 127.0.0.1, for end-to-end tests.
 *
 * <p>{@link #start()} creates a fresh database (embedded H2 file in MySQL mode, or a new database on the
 * local PostgreSQL at 127.0.0.1:5432 or on the local MariaDB/MySQL at 127.0.0.1:3306), loads the schema from
 * the DDL files inside the war's own jars,
 * writes {@code killbill.properties}, installs the given plugin bundles under
 * {@code <bundles>/plugins/java/<name>/<version>/}, starts the JVM on a free port and waits for
 * {@code /1.0/healthcheck} (plugin healthchecks excluded: see {@link #onlyPluginsUnhealthy}).
 * {@link #stop()} and {@link #restart()} keep the database, so a restart
 * simulates an outage. Everything lives under one work directory in {@code target/killbill/}, including
 * {@code logs/killbill.out} (the JVM's console) and Kill Bill's own logs.
 *
 * <p>Artifacts come from the system properties the e2e Maven profile sets: {@code killbill.e2e.lib}
 * (directory holding the war and jetty-runner, copied there by maven-dependency-plugin),
 * {@code killbill.e2e.war}, {@code killbill.e2e.jettyRunner}, {@code killbill.e2e.workDir}.
 *
 * <p>Ports: besides its HTTP port, Kill Bill 0.22 creates an RMI registry on 1099 (hard-coded in
 * {@code JNDIManager}; a failure to bind is ignored and the JVM then uses whichever registry holds 1099)
 * and, with H2, an H2 web console on 8082 (a port clash is ignored too). Neither blocks a second server.
 */
public final class KillbillServer implements AutoCloseable {

    /** Which database Kill Bill runs on. */
    public enum Database {
        /** Embedded H2 file database in MySQL mode, using the H2 jar shipped in the war. */
        H2,
        /** A fresh database on the PostgreSQL server at 127.0.0.1:5432 (user postgres, trust auth). */
        POSTGRESQL,
        /**
         * A fresh database on the MariaDB (or MySQL) server at 127.0.0.1:3306 (user root, no password, over TCP),
         * Kill Bill's reference database: its MySQL DDL as is, Kill Bill connecting with {@code jdbc:mysql://}
         * through the MariaDB Connector/J 2.7 the war ships.
         */
        MARIADB
    }

    public static final String ADMIN_USER = "admin";
    public static final String ADMIN_PASSWORD = "password";

    private static final Logger LOG = LoggerFactory.getLogger(KillbillServer.class);
    private static final Pattern KB_MODULE_JAR = Pattern.compile("WEB-INF/lib/killbill-([a-z-]+)-(\\d+\\.\\d+\\.\\d+)\\.jar");
    private static final String H2_NAME = "KILLBILL";
    private static final String PLUGINS_HEALTHCHECK = "org.killbill.billing.server.healthchecks.KillbillPluginsHealthcheck";
    private static final Pattern MODULE_DDL = Pattern.compile("org/killbill/billing/[a-z]+/ddl\\.sql");
    /** Prefix of the databases this harness creates on PostgreSQL and MariaDB (the MariaDB grant covers it). */
    static final String DATABASE_PREFIX = "kb_e2e_";
    /** PostgreSQL truncates identifiers to 63 characters, MariaDB refuses database names over 64. */
    static final int MAX_DATABASE_NAME = 63;
    /** The MariaDB account Kill Bill connects as (created if absent; ALL on {@code kb\_e2e\_%} databases). */
    private static final String MARIADB_KB_USER = "killbill";
    private static final int MARIADB_DDL_CONNECTIONS = 4;

    private final String name;
    private final Database database;
    private final Path workDir;
    private final Path war;
    private final Path jettyRunner;
    private final Map<String, String> extraProperties;
    private final List<String> extraJvmArgs;
    private final String heap;
    private final Duration startTimeout;
    private final String pgHost;
    private final int pgPort;
    private final String mariaDbHost;
    private final int mariaDbPort;
    private final boolean keepDatabase;
    private final KillbillServer sharedWith;

    private final List<PluginJar> plugins = new ArrayList<>();
    private boolean prepared;
    private String jdbcUrl;
    /** The test JVM's URL for the same database (MariaDB: {@code jdbc:mariadb://}, Connector/J 3.x refuses mysql). */
    private String clientJdbcUrl;
    /** The PostgreSQL or MariaDB database this server created (and drops on close); null for H2 and second nodes. */
    private String ownDatabase;
    private int port;
    private Process process;
    private Thread shutdownHook;
    private Duration lastSchemaTime = Duration.ZERO;
    private Duration lastStartTime = Duration.ZERO;

    private KillbillServer(Builder b) {
        this.name = b.name;
        this.database = b.sharedWith != null ? b.sharedWith.database : b.database;
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        this.workDir = b.workRoot.resolve(name + "-" + database.name().toLowerCase(Locale.ROOT) + "-" + stamp
                + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff))).toAbsolutePath();
        this.war = b.war;
        this.jettyRunner = b.jettyRunner;
        this.extraProperties = new LinkedHashMap<>(b.properties);
        this.extraJvmArgs = new ArrayList<>(b.jvmArgs);
        this.heap = b.heap;
        this.startTimeout = b.startTimeout;
        this.pgHost = b.pgHost;
        this.pgPort = b.pgPort;
        this.mariaDbHost = b.mariaDbHost;
        this.mariaDbPort = b.mariaDbPort;
        this.keepDatabase = b.keepDatabase;
        this.sharedWith = b.sharedWith;
        this.plugins.addAll(b.plugins);
    }

    /** Held from the first start to close by a server on H2: see {@link H2MachineLock}. */
    private H2MachineLock h2Lock;

    /** A builder with the artifacts and work directory taken from the e2e profile's system properties. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Prepares (first call only: database, schema, config, bundles), starts the JVM and waits until healthy. */
    public synchronized KillbillServer start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("Kill Bill " + name + " is already running on port " + port);
        }
        try {
            if (database == Database.H2 && h2Lock == null) {
                h2Lock = H2MachineLock.acquire(name);
            }
            if (!prepared) {
                prepare();
                prepared = true;
            }
            launch();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("Kill Bill " + name + " did not start, see " + consoleLog(), e);
        }
    }

    /** Stops the JVM (SIGTERM, then SIGKILL after 30 s). The database and work directory stay. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        long t0 = System.nanoTime();
        Process p = process;
        process = null;
        p.destroy();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                LOG.warn("Kill Bill {} (pid {}) ignored SIGTERM for 30 s, killing it", name, p.pid());
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        removeShutdownHook();
        LOG.info("Kill Bill {} (pid {}) stopped in {} ms", name, p.pid(), (System.nanoTime() - t0) / 1_000_000);
    }

    /** Kills the JVM at once (SIGKILL), like a crash: no shutdown of the plugin or of Kill Bill's queues. */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        Process p = process;
        process = null;
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        removeShutdownHook();
        LOG.info("Kill Bill {} (pid {}) killed", name, p.pid());
    }

    /** Stops and starts again on the same database, plugins and port: an outage as a client sees it. */
    public synchronized KillbillServer restart() {
        stop();
        return start();
    }

    /**
     * Stops the server and, on PostgreSQL or MariaDB, drops the database it created unless
     * -Dkillbill.e2e.keepDatabase=true (a second node sharing a database never drops it).
     */
    @Override
    public synchronized void close() {
        stop();
        if (h2Lock != null) {
            h2Lock.close();
            h2Lock = null;
        }
        if (ownDatabase != null && !keepDatabase) {
            try (Connection c = database == Database.POSTGRESQL ? pgConnection("postgres", "postgres") : mariaDbAdminConnection();
                 Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + ownDatabase);
                LOG.info("dropped {} database {}", database, ownDatabase);
                ownDatabase = null;
            } catch (SQLException e) {
                LOG.warn("could not drop {} database {}: {}", database, ownDatabase, e.toString());
            }
        }
    }

    /**
     * Copies a plugin bundle to {@code <bundles>/plugins/java/<name>/<version>/}. Before {@link #start()} it
     * is started at boot; on a running server start it with {@link KillbillClient#startPlugin}.
     */
    public synchronized KillbillServer installPlugin(String pluginName, String version, Path jar) {
        PluginJar plugin = new PluginJar(pluginName, version, jar);
        if (prepared) {
            copyPlugin(plugin);
        }
        plugins.add(plugin);
        return this;
    }

    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** An admin client (admin/password) for this server, with no tenant selected. */
    public KillbillClient adminClient() {
        return new KillbillClient(baseUri(), ADMIN_USER, ADMIN_PASSWORD);
    }

    public boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    public int port() {
        return port;
    }

    public Database database() {
        return database;
    }

    /** The JDBC URL Kill Bill itself uses ({@code org.killbill.dao.url}); null until started. */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    /**
     * A new connection from the test JVM to this server's database as Kill Bill's own user (killbill), for
     * checks Kill Bill's API cannot make (say, rows per trackingId). PostgreSQL and MariaDB only: an H2 file
     * belongs to the Kill Bill JVM.
     */
    public Connection openConnection() throws SQLException {
        if (clientJdbcUrl == null) {
            throw new IllegalStateException("Kill Bill " + name + " (" + database + ") has no database the test JVM can open"
                    + (database == Database.H2 ? ": an H2 file belongs to the Kill Bill JVM" : " yet: start it first"));
        }
        return DriverManager.getConnection(clientJdbcUrl, "killbill", "killbill");
    }

    public Path workDir() {
        return workDir;
    }

    /** The JVM's console (Jetty and Kill Bill's logback console appender). */
    public Path consoleLog() {
        return workDir.resolve("logs/killbill.out");
    }

    public Path bundlesDir() {
        return workDir.resolve("bundles");
    }

    /** How long creating the database and loading the schema took (zero until started). */
    public Duration schemaTime() {
        return lastSchemaTime;
    }

    /** How long the last start took, from launching the JVM until the healthcheck answered 200. */
    public Duration startTime() {
        return lastStartTime;
    }

    /** The console log, for assertions on what Kill Bill printed (for example OSGi resolution errors). */
    public String consoleText() {
        try {
            return Files.exists(consoleLog()) ? Files.readString(consoleLog(), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------------------------------ prepare

    private void prepare() throws IOException {
        requireFile(war, "Kill Bill war");
        requireFile(jettyRunner, "jetty-runner jar");
        Files.createDirectories(workDir.resolve("logs"));
        Files.createDirectories(bundlesDir());
        Files.createDirectories(workDir.resolve("tmp"));
        long t0 = System.nanoTime();
        if (sharedWith != null) {
            // a second node: the first one's database, schema and all; the first one owns (and drops) it
            jdbcUrl = sharedWith.jdbcUrl();
            clientJdbcUrl = sharedWith.clientJdbcUrl;
            if (jdbcUrl == null) {
                throw new IllegalStateException("Kill Bill " + name + " shares the database of " + sharedWith.name
                        + ", which has not been started yet");
            }
            LOG.info("Kill Bill {}: shares the database of {} ({})", name, sharedWith.name, jdbcUrl);
        } else {
            Ddl ddl = extractDdl();
            switch (database) {
                case H2:
                    createH2Schema(ddl);
                    break;
                case POSTGRESQL:
                    createPostgresSchema(ddl);
                    break;
                case MARIADB:
                    createMariaDbSchema(ddl);
                    break;
                default:
                    throw new IllegalStateException("unknown database " + database);
            }
            lastSchemaTime = Duration.ofNanos(System.nanoTime() - t0);
            LOG.info("Kill Bill {}: {} schema ({} statements) ready in {} ms, {}", name, database, ddl.statementCount(),
                    lastSchemaTime.toMillis(), jdbcUrl);
        }
        port = freePort();
        writeProperties();
        for (PluginJar plugin : plugins) {
            copyPlugin(plugin);
        }
    }

    /** The DDL of every Kill Bill module jar in the war ({@code org/killbill/billing/<module>/ddl.sql}). */
    private Ddl extractDdl() throws IOException {
        StringBuilder tables = new StringBuilder();
        Map<String, String> moduleScripts = new LinkedHashMap<>();
        String postgresBridge = null;
        byte[] h2Jar = null;
        List<String> modules = new ArrayList<>();
        try (ZipFile zip = new ZipFile(war.toFile())) {
            for (ZipEntry entry : java.util.Collections.list(zip.entries())) {
                Matcher m = KB_MODULE_JAR.matcher(entry.getName());
                if (entry.getName().matches("WEB-INF/lib/h2-[0-9.]+\\.jar")) {
                    h2Jar = zip.getInputStream(entry).readAllBytes();
                }
                if (!m.matches()) {
                    continue;
                }
                try (ZipInputStream jar = new ZipInputStream(zip.getInputStream(entry))) {
                    for (ZipEntry inner = jar.getNextEntry(); inner != null; inner = jar.getNextEntry()) {
                        if (MODULE_DDL.matcher(inner.getName()).matches()) {
                            String script = new String(jar.readAllBytes(), StandardCharsets.UTF_8);
                            tables.append("-- ").append(inner.getName()).append('\n');
                            tables.append(script).append("\n;\n");
                            modules.add(m.group(1));
                            moduleScripts.put(m.group(1), script);
                        } else if (inner.getName().equals("org/killbill/billing/util/ddl-postgresql.sql")) {
                            postgresBridge = new String(jar.readAllBytes(), StandardCharsets.UTF_8);
                        }
                    }
                }
            }
        }
        if (modules.isEmpty() || postgresBridge == null || h2Jar == null) {
            throw new IOException("war " + war + " lacks the module DDLs, util/ddl-postgresql.sql or an h2 jar");
        }
        Path ddlDir = Files.createDirectories(workDir.resolve("ddl"));
        Files.writeString(ddlDir.resolve("killbill.sql"), tables);
        Files.writeString(ddlDir.resolve("postgres-bridge.sql"), postgresBridge);
        Path h2 = ddlDir.resolve("h2.jar");
        Files.write(h2, h2Jar);
        LOG.debug("DDL from modules {}", modules);
        return new Ddl(tables.toString(), moduleScripts, postgresBridge, h2);
    }

    /**
     * Runs the DDL with the war's own H2 (1.4.x) so the file format matches what Kill Bill opens.
     *
     * <p>The database is named {@value #H2_NAME} and opened by a path relative to the JVM's working directory,
     * because Kill Bill 0.22 re-runs its whole DDL (DROP TABLE + CREATE TABLE) at every start when it thinks
     * the H2 database is empty: {@code H2EmbeddedDB} lists tables with {@code table_catalog = '<name>'}, taking
     * the name from the URL path (for {@code file:/abs/path/killbill} that is {@code /abs/path/killbill},
     * never equal to H2's catalog {@code KILLBILL}), so with an absolute path every restart wiped the data.
     */
    private void createH2Schema(Ddl ddl) throws IOException {
        Path dbFile = h2Dir().resolve(H2_NAME);
        Files.createDirectories(dbFile.getParent());
        String url = "jdbc:h2:file:" + dbFile + ";MODE=MYSQL";
        try (URLClassLoader h2 = new URLClassLoader(new URL[] {ddl.h2Jar.toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            java.sql.Driver driver = (java.sql.Driver) h2.loadClass("org.h2.Driver").getDeclaredConstructor().newInstance();
            java.util.Properties props = new java.util.Properties();
            props.setProperty("user", "killbill");
            props.setProperty("password", "killbill");
            try (Connection c = driver.connect(url, props); Statement s = c.createStatement()) {
                for (String sql : SqlScript.split(ddl.tables)) {
                    s.execute(sql);
                }
            }
        } catch (ReflectiveOperationException | SQLException e) {
            throw new IOException("H2 schema creation failed for " + url, e);
        }
        // relative to the Kill Bill JVM's working directory (h2Dir()); allowed by -Dh2.implicitRelativePath=true
        jdbcUrl = "jdbc:h2:file:" + H2_NAME + ";MODE=MYSQL;DB_CLOSE_DELAY=-1;DB_CLOSE_ON_EXIT=FALSE";
    }

    private Path h2Dir() {
        return workDir.resolve("h2");
    }

    /**
     * A fresh database on the local PostgreSQL: the MySQL-compatibility bridge (domains, functions, an event
     * trigger that widens serial columns: needs superuser) as postgres, then the tables as the owner killbill.
     */
    private void createPostgresSchema(Ddl ddl) throws IOException {
        String pgDatabase = databaseName(workDir.getFileName().toString());
        try (Connection c = pgConnection("postgres", "postgres"); Statement s = c.createStatement()) {
            try (var rs = s.executeQuery("SELECT 1 FROM pg_roles WHERE rolname = 'killbill'")) {
                if (!rs.next()) {
                    s.execute("CREATE ROLE killbill LOGIN PASSWORD 'killbill'");
                }
            }
            s.execute("CREATE DATABASE " + pgDatabase + " OWNER killbill");
            ownDatabase = pgDatabase;
        } catch (SQLException e) {
            throw new IOException("PostgreSQL at " + pgHost + ":" + pgPort + " is not usable (user postgres, trust auth): "
                    + e.getMessage(), e);
        }
        try (Connection c = pgConnection(pgDatabase, "postgres"); Statement s = c.createStatement()) {
            for (String sql : SqlScript.split(ddl.postgresBridge)) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IOException("PostgreSQL bridge DDL failed on " + pgDatabase, e);
        }
        try (Connection c = pgConnection(pgDatabase, "killbill"); Statement s = c.createStatement()) {
            for (String sql : SqlScript.split(ddl.tables)) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IOException("Kill Bill DDL failed on " + pgDatabase, e);
        }
        jdbcUrl = "jdbc:postgresql://" + pgHost + ":" + pgPort + "/" + pgDatabase;
        clientJdbcUrl = jdbcUrl;
    }

    /**
     * A fresh database on the local MariaDB (or MySQL), loaded with Kill Bill's MySQL DDL as is, as an operator
     * loads it ({@code mysql killbill < ddl.sql}), only module by module on several connections at once: as root,
     * the account {@value #MARIADB_KB_USER} (password killbill) is created if absent and granted ALL on the
     * {@code kb_e2e_*} databases; the database is created with the server's defaults (every Kill Bill table names
     * its own {@code CHARACTER SET utf8 COLLATE utf8_bin}); the tables are created as {@value #MARIADB_KB_USER},
     * after the DDL's own {@code SET default_storage_engine=INNODB} (a MySQL-only comment, which
     * {@link SqlScript} drops). Afterwards
     * every table the DDL creates must be there, and be InnoDB: Kill Bill's queues and row locks need
     * transactions.
     */
    private void createMariaDbSchema(Ddl ddl) throws IOException {
        String db = databaseName(workDir.getFileName().toString());
        try (Connection c = mariaDbAdminConnection(); Statement s = c.createStatement()) {
            for (String host : List.of("%", "localhost")) {
                s.execute("CREATE USER IF NOT EXISTS '" + MARIADB_KB_USER + "'@'" + host + "' IDENTIFIED BY 'killbill'");
                s.execute("GRANT ALL PRIVILEGES ON `" + DATABASE_PREFIX.replace("_", "\\_") + "%`.* TO '" + MARIADB_KB_USER
                        + "'@'" + host + "'");
            }
            s.execute("CREATE DATABASE " + db);
            ownDatabase = db;
        } catch (SQLException e) {
            throw new IOException("MariaDB at " + mariaDbHost + ":" + mariaDbPort + " is not usable (user root, no password, "
                    + "over TCP; .ci/services.sh sets it up): " + e.getMessage(), e);
        }
        clientJdbcUrl = "jdbc:mariadb://" + mariaDbHost + ":" + mariaDbPort + "/" + db;
        java.util.Set<String> tables = java.util.concurrent.ConcurrentHashMap.newKeySet();
        loadModulesInParallel(ddl.modules, tables);
        try (Connection c = DriverManager.getConnection(clientJdbcUrl, MARIADB_KB_USER, "killbill");
             Statement s = c.createStatement()) {
            java.util.Set<String> innoDb = new java.util.TreeSet<>();
            try (var rs = s.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = '" + db
                    + "' AND table_type = 'BASE TABLE' AND engine = 'InnoDB'")) {
                while (rs.next()) {
                    innoDb.add(rs.getString(1).toLowerCase(Locale.ROOT));
                }
            }
            if (tables.isEmpty() || !innoDb.equals(new java.util.TreeSet<>(tables))) {
                throw new IOException("MariaDB database " + db + ": the DDL creates " + new java.util.TreeSet<>(tables)
                        + " but the InnoDB tables are " + innoDb);
            }
        } catch (SQLException e) {
            throw new IOException("Kill Bill DDL failed on MariaDB database " + db, e);
        }
        // Kill Bill 0.22 (killbill-commons DataSourceProvider) treats only the mysql scheme as MySQL and then uses
        // org.killbill.commons.embeddeddb.mysql.KillBillMariaDbDataSource (MariaDB Connector/J 2.7.3 in the war)
        jdbcUrl = "jdbc:mysql://" + mariaDbHost + ":" + mariaDbPort + "/" + db;
    }

    /**
     * Runs the modules' DDL on {@value #MARIADB_DDL_CONNECTIONS} connections at once, each module on one connection
     * in its own order. Each CREATE TABLE / CREATE INDEX waits for InnoDB to sync its files; side by side, the 280
     * statements took 4.5 s instead of 12.8 s here (load 7). Kill Bill's DDL has no foreign keys.
     */
    private void loadModulesInParallel(Map<String, String> modules, java.util.Set<String> tables) throws IOException {
        java.util.concurrent.ConcurrentLinkedQueue<Map.Entry<String, String>> queue = new java.util.concurrent.ConcurrentLinkedQueue<>();
        // the longest scripts first, so that no connection is left with a long one at the end
        modules.entrySet().stream().sorted((a, b) -> Integer.compare(b.getValue().length(), a.getValue().length()))
                .forEach(queue::add);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(MARIADB_DDL_CONNECTIONS);
        try {
            List<java.util.concurrent.Future<Void>> workers = new ArrayList<>();
            for (int i = 0; i < MARIADB_DDL_CONNECTIONS; i++) {
                workers.add(pool.submit(() -> {
                    try (Connection c = DriverManager.getConnection(clientJdbcUrl, MARIADB_KB_USER, "killbill");
                         Statement s = c.createStatement()) {
                        // the DDL's own first line, /*! SET default_storage_engine=INNODB */, which SqlScript drops
                        s.execute("SET default_storage_engine=INNODB");
                        for (Map.Entry<String, String> module = queue.poll(); module != null; module = queue.poll()) {
                            for (String sql : SqlScript.split(module.getValue())) {
                                try {
                                    s.execute(sql);
                                } catch (SQLException e) {
                                    throw new SQLException("module " + module.getKey() + ": " + e.getMessage() + " in: " + sql,
                                            e.getSQLState(), e.getErrorCode(), e);
                                }
                                String table = createdTable(sql);
                                if (table != null) {
                                    tables.add(table);
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<Void> w : workers) {
                w.get();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("Kill Bill DDL failed on MariaDB " + clientJdbcUrl, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading Kill Bill's DDL", e);
        } finally {
            pool.shutdownNow();
        }
    }

    private Connection mariaDbAdminConnection() throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://" + mariaDbHost + ":" + mariaDbPort + "/", "root", "");
    }

    private static final Pattern CREATE_TABLE = Pattern.compile("(?is)^\\s*create\\s+table\\s+(?:if\\s+not\\s+exists\\s+)?`?([a-z0-9_]+)`?.*");

    /** The table a {@code CREATE TABLE} statement creates, lower case; null for any other statement. */
    static String createdTable(String statement) {
        Matcher m = CREATE_TABLE.matcher(statement);
        return m.matches() ? m.group(1).toLowerCase(Locale.ROOT) : null;
    }

    /**
     * The PostgreSQL or MariaDB database name for a work directory: {@value #DATABASE_PREFIX} plus the directory
     * name in lower case with anything but letters, digits and '_' as '_'. Names over {@value #MAX_DATABASE_NAME}
     * characters (a long server name) lose the middle, never the {@code -<yyyyMMdd-HHmmss>-<hex>} tail that
     * makes them unique.
     */
    static String databaseName(String workDirName) {
        String name = DATABASE_PREFIX + workDirName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (name.length() <= MAX_DATABASE_NAME) {
            return name;
        }
        int tail = "_yyyyMMdd_HHmmss_ffff".length();
        return name.substring(0, MAX_DATABASE_NAME - tail) + name.substring(name.length() - tail);
    }

    private Connection pgConnection(String db, String user) throws SQLException {
        String password = "killbill".equals(user) ? "killbill" : "";
        return DriverManager.getConnection("jdbc:postgresql://" + pgHost + ":" + pgPort + "/" + db, user, password);
    }

    private void writeProperties() throws IOException {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("org.killbill.dao.url", jdbcUrl);
        p.put("org.killbill.dao.user", "killbill");
        p.put("org.killbill.dao.password", "killbill");
        p.put("org.killbill.billing.osgi.dao.url", jdbcUrl);
        p.put("org.killbill.billing.osgi.dao.user", "killbill");
        p.put("org.killbill.billing.osgi.dao.password", "killbill");
        p.put("org.killbill.server.test.mode", "true");
        p.put("org.killbill.server.multitenant", "true");
        p.put("org.killbill.server.updateCheck.skip", "true");
        p.put("org.killbill.osgi.bundle.install.dir", bundlesDir().toString());
        p.put("org.killbill.osgi.root.dir", workDir.resolve("osgi").toString());
        p.put("org.killbill.catalog.uri", "SpyCarAdvanced.xml");
        // short polling so that buses, notification queues and per-tenant caches react within a second
        p.put("org.killbill.notificationq.main.sleep", "100");
        p.put("org.killbill.persistent.bus.main.sleep", "100");
        p.put("org.killbill.persistent.bus.external.inMemory", "true");
        p.put("org.killbill.billing.util.broadcast.rate", "1s");
        p.put("org.killbill.tenant.broadcast.rate", "1s");
        p.putAll(extraProperties);
        try (Writer w = Files.newBufferedWriter(workDir.resolve("killbill.properties"), StandardCharsets.UTF_8)) {
            for (Map.Entry<String, String> e : p.entrySet()) {
                w.write(e.getKey() + "=" + e.getValue().replace("\\", "\\\\") + "\n");
            }
        }
    }

    private void copyPlugin(PluginJar plugin) {
        try {
            requireFile(plugin.jar, "plugin bundle " + plugin.name);
            Path dir = Files.createDirectories(bundlesDir().resolve("plugins/java").resolve(plugin.name).resolve(plugin.version));
            Files.copy(plugin.jar, dir.resolve(plugin.jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            LOG.info("Kill Bill {}: plugin {} {} installed from {}", name, plugin.name, plugin.version, plugin.jar);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------------------------------- launch

    private void launch() throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs());
        cmd.addAll(List.of("-jar", jettyRunner.toString(), "--host", "127.0.0.1", "--port", String.valueOf(port),
                "--path", "/", war.toString()));
        Files.writeString(workDir.resolve("command.txt"), String.join("\n", cmd) + "\n");
        // H2: the working directory holds the database, see createH2Schema
        ProcessBuilder pb = new ProcessBuilder(cmd).directory((database == Database.H2 ? h2Dir() : workDir).toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(consoleLog().toFile()));
        long t0 = System.nanoTime();
        process = pb.start();
        Process p = process;
        shutdownHook = new Thread(p::destroyForcibly, "kill-bill-" + name + "-reaper");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        LOG.info("Kill Bill {} starting: pid {}, {} , log {}", name, p.pid(), baseUri(), consoleLog());
        try {
            waitHealthy(p, t0);
        } catch (IOException | RuntimeException e) {
            // a server that never became healthy must not outlive the failed start
            stop();
            throw e;
        }
        lastStartTime = Duration.ofNanos(System.nanoTime() - t0);
        LOG.info("Kill Bill {} healthy on {} in {} ms ({}, pid {})", name, baseUri(), lastStartTime.toMillis(), database,
                p.pid());
    }

    /**
     * Kill Bill 0.22 ships Felix 4.4 and Guice 4.2 (Java 8/11 era). On Java 17 it needs these opens, the
     * zip64 validation escape hatch (shaded plugin jars otherwise fail "Invalid CEN header" on 17.0.8+), and
     * an osgi.ee capability for Felix, which knows Java only up to 1.8 and otherwise falls back to a system
     * property named {@code eecap-<java.specification.version>}.
     */
    private List<String> jvmArgs() {
        List<String> args = new ArrayList<>();
        for (String pkg : List.of("java.base/java.lang", "java.base/java.lang.reflect", "java.base/java.lang.invoke",
                "java.base/java.util", "java.base/java.util.concurrent", "java.base/java.net", "java.base/java.io",
                "java.base/java.nio", "java.base/java.security", "java.base/java.text", "java.base/sun.net.www",
                "java.base/sun.net.www.protocol.jar", "java.base/sun.net.www.protocol.file",
                "java.base/sun.net.www.protocol.http", "java.base/sun.net.www.protocol.https",
                "java.base/sun.net.www.protocol.ftp", "java.base/sun.net.www.protocol.jrt",
                "java.base/sun.net.www.protocol.mailto", "java.base/jdk.internal.loader", "java.base/sun.nio.ch",
                "java.sql/java.sql", "java.management/javax.management", "java.xml/jdk.xml.internal")) {
            args.add("--add-opens=" + pkg + "=ALL-UNNAMED");
        }
        args.add("-Djdk.util.zip.disableZip64ExtraFieldValidation=true");
        String spec = System.getProperty("java.specification.version");
        StringBuilder javaSe = new StringBuilder("1.0,1.1,1.2,1.3,1.4,1.5,1.6,1.7,1.8");
        for (int v = 9; v <= Runtime.version().feature(); v++) {
            javaSe.append(',').append(v);
        }
        args.add("-Deecap-" + spec + "=osgi.ee; osgi.ee=\"OSGi/Minimum\"; version:List<Version>=\"1.0,1.1,1.2\", "
                + "osgi.ee; osgi.ee=\"JavaSE\"; version:List<Version>=\"" + javaSe + "\"");
        args.add("-Djava.security.egd=file:/dev/./urandom");
        args.add("-Dorg.killbill.server.properties=file://" + workDir.resolve("killbill.properties"));
        args.add("-DLOGS_DIR=" + workDir.resolve("logs"));
        // jetty-runner unpacks the 58 MB war into java.io.tmpdir on every start: keep it in the work dir
        args.add("-Djava.io.tmpdir=" + workDir.resolve("tmp"));
        if (database == Database.H2) {
            args.add("-Dh2.implicitRelativePath=true");
        }
        args.add("-Xms256m");
        args.add("-Xmx" + heap);
        args.addAll(extraJvmArgs);
        return args;
    }

    private void waitHealthy(Process p, long t0) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest health = HttpRequest.newBuilder(baseUri().resolve("/1.0/healthcheck")).timeout(Duration.ofSeconds(5))
                .GET().build();
        long deadline = t0 + startTimeout.toNanos();
        int last = -1;
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("Kill Bill " + name + " exited with " + p.exitValue() + " before it was healthy:\n"
                        + tail(consoleLog(), 40));
            }
            try {
                HttpResponse<String> r = http.send(health, HttpResponse.BodyHandlers.ofString());
                last = r.statusCode();
                if (last == 200 || onlyPluginsUnhealthy(r.body())) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for Kill Bill " + name, e);
            }
            try {
                // polling an external process that has no readiness signal; bounded by the deadline above
                TimeUnit.MILLISECONDS.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for Kill Bill " + name, e);
            }
        }
        throw new IOException("Kill Bill " + name + " not healthy after " + startTimeout.toSeconds() + " s (last status "
                + last + "):\n" + tail(consoleLog(), 40));
    }

    /**
     * Kill Bill's healthcheck includes every plugin's {@code Healthcheck}: a plugin under test that reports
     * unhealthy (say, not configured yet) turns the answer into a 500 although the server is up. The server
     * counts as started when every check other than {@code KillbillPluginsHealthcheck} is healthy.
     */
    static boolean onlyPluginsUnhealthy(String body) {
        try {
            com.fasterxml.jackson.databind.JsonNode checks = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
            if (checks == null || !checks.isObject() || !checks.has(PLUGINS_HEALTHCHECK)) {
                return false;
            }
            for (java.util.Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = checks.fields(); it.hasNext(); ) {
                Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> check = it.next();
                if (!check.getKey().equals(PLUGINS_HEALTHCHECK) && !check.getValue().path("healthy").asBoolean(false)) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void removeShutdownHook() {
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // JVM already shutting down
            }
            shutdownHook = null;
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    private static void requireFile(Path file, String what) throws IOException {
        if (file == null || !Files.isRegularFile(file)) {
            throw new IOException(what + " not found at " + file
                    + " (run through Maven with -Pe2e so that maven-dependency-plugin copies it into target/)");
        }
    }

    static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(no " + file + ")";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(unreadable " + file + ": " + e + ")";
        }
    }

    @Override
    public String toString() {
        return "KillbillServer[" + name + ", " + database + ", " + baseUri() + ", " + workDir + "]";
    }

    // ------------------------------------------------------------------------------------------- types

    private static final class Ddl {
        final String tables;
        /** The same DDL per Kill Bill module (no foreign keys between them: they can be loaded side by side). */
        final Map<String, String> modules;
        final String postgresBridge;
        final Path h2Jar;

        Ddl(String tables, Map<String, String> modules, String postgresBridge, Path h2Jar) {
            this.tables = tables;
            this.modules = modules;
            this.postgresBridge = postgresBridge;
            this.h2Jar = h2Jar;
        }

        int statementCount() {
            return SqlScript.split(tables).size();
        }
    }

    private static final class PluginJar {
        final String name;
        final String version;
        final Path jar;

        PluginJar(String name, String version, Path jar) {
            this.name = Objects.requireNonNull(name, "name");
            this.version = Objects.requireNonNull(version, "version");
            this.jar = Objects.requireNonNull(jar, "jar").toAbsolutePath();
        }
    }

    /** Configures a {@link KillbillServer}; nothing happens until {@link KillbillServer#start()}. */
    public static final class Builder {
        private final String name;
        private Database database = Database.H2;
        private Path workRoot = Paths.get(System.getProperty("killbill.e2e.workDir", "target/killbill"));
        private Path war = lib("killbill.e2e.war");
        private Path jettyRunner = lib("killbill.e2e.jettyRunner");
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final List<String> jvmArgs = new ArrayList<>();
        private final List<PluginJar> plugins = new ArrayList<>();
        private String heap = "768m";
        private Duration startTimeout = Duration.ofSeconds(180);
        private String pgHost = "127.0.0.1";
        private int pgPort = Integer.getInteger("killbill.e2e.pgPort", 5432);
        private String mariaDbHost = "127.0.0.1";
        private int mariaDbPort = Integer.getInteger("killbill.e2e.mariadbPort", 3306);
        private boolean keepDatabase = Boolean.getBoolean("killbill.e2e.keepDatabase");
        private KillbillServer sharedWith;

        private Builder(String name) {
            if (!name.matches("[a-z0-9-]{1,30}")) {
                throw new IllegalArgumentException("server name must match [a-z0-9-]{1,30}: " + name);
            }
            this.name = name;
        }

        private static Path lib(String property) {
            String file = System.getProperty(property);
            String dir = System.getProperty("killbill.e2e.lib");
            return file == null || dir == null ? null : Paths.get(dir, file);
        }

        public Builder database(Database value) {
            this.database = Objects.requireNonNull(value);
            return this;
        }

        /** Adds or overrides a line of killbill.properties. */
        public Builder property(String key, String value) {
            properties.put(key, value);
            return this;
        }

        public Builder jvmArg(String arg) {
            jvmArgs.add(arg);
            return this;
        }

        public Builder plugin(String pluginName, String version, Path jar) {
            plugins.add(new PluginJar(pluginName, version, jar));
            return this;
        }

        public Builder heap(String value) {
            this.heap = value;
            return this;
        }

        public Builder startTimeout(Duration value) {
            this.startTimeout = value;
            return this;
        }

        public Builder workRoot(Path value) {
            this.workRoot = value;
            return this;
        }

        public Builder war(Path value) {
            this.war = value;
            return this;
        }

        public Builder jettyRunner(Path value) {
            this.jettyRunner = value;
            return this;
        }

        public Builder postgres(String host, int port) {
            this.pgHost = host;
            this.pgPort = port;
            return this;
        }

        public Builder mariaDb(String host, int port) {
            this.mariaDbHost = host;
            this.mariaDbPort = port;
            return this;
        }

        /**
         * Runs on the database of {@code first} (PostgreSQL or MariaDB: an embedded H2 file belongs to one JVM),
         * as a second Kill Bill node of one cluster. {@code first} must be started before this server; it keeps
         * owning the database (its {@link KillbillServer#close()} drops it, this one's does not).
         */
        public Builder sharedDatabase(KillbillServer first) {
            if (first.database == Database.H2) {
                throw new IllegalArgumentException("only a PostgreSQL or MariaDB database can be shared between Kill Bill "
                        + "JVMs, " + first.name + " runs on " + first.database);
            }
            this.sharedWith = first;
            return this;
        }

        public KillbillServer build() {
            return new KillbillServer(this);
        }
    }
}
