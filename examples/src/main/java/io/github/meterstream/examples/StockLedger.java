package io.github.meterstream.examples;

import io.github.meterstream.core.pipeline.BusinessValidator;
import io.github.meterstream.core.pipeline.MessageContext;
import io.github.meterstream.core.pipeline.MessageHandler;
import io.github.meterstream.core.failure.PermanentFailure;
import io.github.meterstream.core.failure.TransientFailure;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The downstream of the example: a {@code stock} table. It is the {@link MessageHandler} (apply
 * a movement) and a {@link BusinessValidator} (the SKU must be known, stock must not go negative).
 * Database errors are transient: the pipeline pauses until the database is back.
 */
public final class StockLedger implements MessageHandler<StockAdjustment>, BusinessValidator<StockAdjustment> {

    private final DataSource dataSource;

    public StockLedger(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public void createSchema() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS stock (warehouse VARCHAR(64) NOT NULL, sku VARCHAR(64) NOT NULL, "
                    + "quantity INT NOT NULL, PRIMARY KEY (warehouse, sku))");
        }
    }

    public void addSku(String warehouse, String sku, int quantity) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO stock (warehouse, sku, quantity) VALUES (?, ?, ?)")) {
            ps.setString(1, warehouse);
            ps.setString(2, sku);
            ps.setInt(3, quantity);
            ps.executeUpdate();
        }
    }

    @Override
    public void validate(StockAdjustment m, MessageContext context) {
        Integer quantity = quantity(m.warehouse(), m.sku());
        if (quantity == null) {
            throw new PermanentFailure("UNKNOWN_SKU", "SKU '" + m.sku() + "' is not stocked in warehouse '" + m.warehouse()
                    + "'; add it to the stock table, then publish the movement again", m.warehouse(), m.eventId(), null);
        }
        if (quantity + m.delta() < 0) {
            throw new PermanentFailure("NEGATIVE_STOCK", "moving " + m.delta() + " of '" + m.sku() + "' would leave "
                    + (quantity + m.delta()) + " in '" + m.warehouse() + "'", m.warehouse(), m.eventId(), null);
        }
    }

    @Override
    public Outcome handle(StockAdjustment m, MessageContext context) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "UPDATE stock SET quantity = quantity + ? WHERE warehouse = ? AND sku = ?")) {
            ps.setInt(1, m.delta());
            ps.setString(2, m.warehouse());
            ps.setString(3, m.sku());
            ps.executeUpdate();
            return Outcome.PROCESSED;
        } catch (SQLException e) {
            throw new TransientFailure("stock database unavailable: " + e.getMessage(), e);
        }
    }

    /** The quantity in stock, or {@code null} for an unknown SKU. */
    public Integer quantity(String warehouse, String sku) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT quantity FROM stock WHERE warehouse = ? AND sku = ?")) {
            ps.setString(1, warehouse);
            ps.setString(2, sku);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : null;
            }
        } catch (SQLException e) {
            throw new TransientFailure("stock database unavailable: " + e.getMessage(), e);
        }
    }

    /** Every row, for printing. */
    public Map<String, Integer> snapshot() throws SQLException {
        Map<String, Integer> rows = new LinkedHashMap<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT warehouse, sku, quantity FROM stock ORDER BY warehouse, sku")) {
            while (rs.next()) {
                rows.put(rs.getString(1) + '/' + rs.getString(2), rs.getInt(3));
            }
        }
        return rows;
    }
}
