/**
 * A durable windowed aggregator: events are staged in a database, one row each (a redelivered event
 * is a duplicate of its row), and flushed per group as one roll-up of sums per bucket, sent to an
 * idempotent sink exactly once.
 *
 * <p>The Kill Bill plugin's roll-up mode is one use (group: tenant and subscription; bucket: unit and
 * billing day; sink: {@code recordRolledUpUsage} with the roll-up's id as tracking id); the stock
 * example aggregates movements per product in 500 ms windows.
 *
 * <p>What "exactly once" rests on, in {@link io.github.meterstream.core.rollup.JdbcRollupStore}:
 * <ul>
 *   <li>an event is staged at most once per group: its id is the table's primary key, and a second
 *       copy with other content is a conflict, not a new event;</li>
 *   <li>a roll-up's members and sums are written (as {@code PENDING}, with a fixed id) and committed
 *       before the sink is called, so a crash at any point leaves either nothing or the same roll-up
 *       to send again, never a second roll-up of the same events;</li>
 *   <li>the sink is called while the group's row is locked in the database ({@code SELECT ... FOR
 *       UPDATE}), not under a time lease: two nodes never send one roll-up at once, and a node that
 *       dies releases the lock with its connection;</li>
 *   <li>the sink is idempotent per roll-up id: a roll-up sent again after a crash (or a timeout whose
 *       call did land) is recognised downstream; Kill Bill does so by tracking id.</li>
 * </ul>
 */
package io.github.meterstream.core.rollup;
