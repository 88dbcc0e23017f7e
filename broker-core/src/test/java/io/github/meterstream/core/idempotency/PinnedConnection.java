package io.github.meterstream.core.idempotency;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * One physical connection behind a data source that hands it out again and again, ignoring
 * {@code close()}: what a connection pool does for one busy thread, without a pool library. Lets
 * many threads each work through their own connection without opening one per statement.
 */
final class PinnedConnection implements AutoCloseable {

    private final Connection physical;
    private final DataSource dataSource;

    PinnedConnection(DataSource source) throws SQLException {
        physical = source.getConnection();
        Connection borrowed = proxy(Connection.class, (m, args) -> m.getName().equals("close") ? null : call(m, physical, args));
        dataSource = proxy(DataSource.class, (m, args) -> m.getName().equals("getConnection") ? borrowed : call(m, source, args));
    }

    DataSource dataSource() {
        return dataSource;
    }

    @Override
    public void close() throws SQLException {
        physical.close();
    }

    private interface Handler {
        Object handle(Method m, Object[] args) throws Throwable;
    }

    private static <T> T proxy(Class<T> type, Handler handler) {
        return type.cast(Proxy.newProxyInstance(PinnedConnection.class.getClassLoader(), new Class<?>[] {type},
                (p, m, args) -> handler.handle(m, args)));
    }

    private static Object call(Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
