// Starts mongo-java-server (de.bwaldvogel:mongo-java-server 1.47.0) with its
// in-memory backend on a loopback address, as the MongoDB wire-protocol server
// of Herald's tests and benchmarks. scripts/services.sh compiles and runs it:
//
//   java -cp "<classes>:<libs>/*" HeraldMongoServer [HOST] [PORT]
//
// HOST defaults to 127.0.0.1, PORT to $HERALD_MONGO_PORT, else 27018. Data
// lives in the JVM's heap only; it is gone when the process stops.
//
// One correction on top of the library: its `insert` command answers `n` =
// number of documents sent, even when some of them failed (e.g. duplicate
// keys in an insertMany), where MongoDB answers the number inserted. The
// backend below rewrites `n` from the reply's writeErrors.
//
// SIGTERM (or SIGINT) closes the listening socket and all client connections,
// then stops the server's threads; the JVM then exits.
//
// The library's log goes to stderr, one line per record, at
// $HERALD_MONGO_LOG_LEVEL (WARNING by default), without two kinds of noise
// (see configureLogging).

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;

public final class HeraldMongoServer {

    /** mongo-java-server's error code for an insert into a system namespace (nothing is inserted). */
    private static final int SYSTEM_NAMESPACE_INSERT = 16459;

    /** The memory backend, with `n` of the `insert` command corrected. */
    static final class Backend extends MemoryBackend {
        @Override
        public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
            Document reply = super.handleCommand(channel, databaseName, command, query);
            if ("insert".equalsIgnoreCase(command)) {
                correctInsertCount(query, reply);
            }
            return reply;
        }
    }

    /**
     * Sets reply.n to the number of documents actually inserted. The library
     * stops at the first failure of an ordered insert and goes on past every
     * failure of an unordered one (it reads `ordered` with Utils.isTrue, so a
     * missing `ordered` counts as unordered there, and so it does here).
     */
    static void correctInsertCount(Document query, Document reply) {
        if (reply == null || query == null) {
            return;
        }
        Object errors = reply.get("writeErrors");
        Object documents = query.get("documents");
        if (!(errors instanceof List<?> writeErrors) || writeErrors.isEmpty() || !(documents instanceof List<?> sent)) {
            return;
        }
        int inserted;
        if (writeErrors.size() == 1 && hasCode(writeErrors.get(0), SYSTEM_NAMESPACE_INSERT)) {
            inserted = 0;
        } else if (Utils.isTrue(query.get("ordered"))) {
            int first = sent.size();
            for (Object error : writeErrors) {
                Integer index = indexOf(error);
                if (index != null && index < first) {
                    first = index;
                }
            }
            inserted = first;
        } else {
            Set<Integer> failed = new HashSet<>();
            for (Object error : writeErrors) {
                Integer index = indexOf(error);
                failed.add(index != null ? index : -1 - failed.size());
            }
            inserted = sent.size() - failed.size();
        }
        reply.put("n", Integer.valueOf(Math.max(0, inserted)));
    }

    private static Integer indexOf(Object writeError) {
        if (writeError instanceof Document error && error.get("index") instanceof Number index) {
            return Integer.valueOf(index.intValue());
        }
        return null;
    }

    private static boolean hasCode(Object writeError, int code) {
        return writeError instanceof Document error && error.get("code") instanceof Number c && c.intValue() == code;
    }

    public static void main(String[] args) throws InterruptedException {
        configureLogging();

        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port;
        try {
            String env = System.getenv("HERALD_MONGO_PORT");
            port = Integer.parseInt(args.length > 1 ? args[1] : env != null && !env.isEmpty() ? env : "27018");
        } catch (NumberFormatException e) {
            System.err.println("HeraldMongoServer: the port must be a number: " + e.getMessage());
            System.exit(2);
            return;
        }

        MongoServer server = new MongoServer(new Backend());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("HeraldMongoServer: stopping");
            try {
                server.shutdownNow();
            } finally {
                stopped.countDown();
            }
            System.out.println("HeraldMongoServer: stopped");
        }, "herald-mongo-shutdown"));

        try {
            server.bind(host, port);
        } catch (RuntimeException e) {
            System.err.println("HeraldMongoServer: cannot listen on " + host + ":" + port + ": " + e);
            System.exit(1);
            return;
        }
        System.out.println("HeraldMongoServer: mongo-java-server " + libraryVersion()
            + " (memory backend) listening on " + host + ":" + port
            + ", max heap " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
        stopped.await();
    }

    /**
     * The library logs through slf4j, bound to java.util.logging (slf4j-jdk14): one line per
     * record on stderr (services.sh sends it to run/mongo.log), at HERALD_MONGO_LOG_LEVEL
     * (a java.util.logging level: WARNING by default; INFO shows every connection). Two kinds of
     * noise are dropped: a client that goes away without closing its connection (a killed test
     * process) is logged by the library as an error with a stack trace, and every createIndexes
     * of a non-unique index warns that such indexes are ignored, once per database; here each
     * distinct warning of that kind is logged once.
     */
    private static void configureLogging() {
        Level level;
        try {
            String env = System.getenv("HERALD_MONGO_LOG_LEVEL");
            level = Level.parse(env != null && !env.isBlank() ? env.trim().toUpperCase(Locale.ROOT) : "WARNING");
        } catch (IllegalArgumentException e) {
            level = Level.WARNING;
        }
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        Handler handler = new ConsoleHandler();
        handler.setLevel(Level.ALL);
        handler.setFormatter(new OneLineFormatter());
        handler.setFilter(HeraldMongoServer::worthLogging);
        root.addHandler(handler);
        root.setLevel(level);
    }

    private static final Set<String> SAID_ONCE = ConcurrentHashMap.newKeySet();

    private static boolean worthLogging(LogRecord record) {
        String logger = record.getLoggerName() != null ? record.getLoggerName() : "";
        if (logger.endsWith(".MongoExceptionHandler") && record.getThrown() instanceof IOException) {
            return false;
        }
        String message = record.getMessage();
        if (message != null && message.contains("is not yet implemented. ignoring")) {
            return SAID_ONCE.size() < 10_000 && SAID_ONCE.add(message);
        }
        return true;
    }

    private static final class OneLineFormatter extends Formatter {
        @Override
        public String format(LogRecord record) {
            StringBuilder line = new StringBuilder()
                .append(record.getInstant()).append(' ')
                .append(record.getLevel().getName()).append(' ')
                .append('[').append(Thread.currentThread().getName()).append("] ")
                .append(record.getLoggerName()).append(" - ")
                .append(formatMessage(record)).append(System.lineSeparator());
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                line.append(trace);
            }
            return line.toString();
        }
    }

    /** The library's jars carry no version in their manifest: read it from the jar's file name. */
    private static String libraryVersion() {
        try {
            String jar = Path.of(MongoServer.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .getFileName().toString();
            Matcher m = Pattern.compile("-(\\d[^/]*)\\.jar$").matcher(jar);
            if (m.find()) {
                return m.group(1);
            }
        } catch (RuntimeException | URISyntaxException e) {
            // fall through
        }
        return "(unknown version)";
    }
}
