package io.github.meterstream.core.pipeline.internal;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("ManualTime")
class ManualTimeTest {

    private final ManualTime time = new ManualTime(Instant.parse("2026-01-01T00:00:00Z"));
    private final Scheduler scheduler = time.scheduler("test");
    private final List<String> ran = new CopyOnWriteArrayList<>();

    @Test
    @DisplayName("the clock stands still until moved, and tasks run in time order as it passes them, each seeing its own time")
    void tasksRunInTimeOrder() {
        scheduler.schedule(Duration.ofSeconds(3), () -> ran.add("3s at " + time.now()));
        scheduler.schedule(Duration.ofSeconds(1), () -> ran.add("1s at " + time.now()));
        assertThat(time.clock().instant()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(ran).isEmpty();

        time.advance(Duration.ofSeconds(2));
        assertThat(ran).containsExactly("1s at 2026-01-01T00:00:01Z");
        assertThat(time.now()).isEqualTo(Instant.parse("2026-01-01T00:00:02Z"));

        time.advance(Duration.ofSeconds(5));
        assertThat(ran).containsExactly("1s at 2026-01-01T00:00:01Z", "3s at 2026-01-01T00:00:03Z");
    }

    @Test
    @DisplayName("a task scheduled by a task within the window runs in the same move")
    void chainedTasks() {
        scheduler.schedule(Duration.ofMillis(10), () -> {
            ran.add("first");
            scheduler.schedule(Duration.ofMillis(10), () -> ran.add("second"));
        });
        time.advance(Duration.ofMillis(25));
        assertThat(ran).containsExactly("first", "second");
    }

    @Test
    @DisplayName("a repeating task runs once per period passed")
    void repeating() {
        scheduler.scheduleRepeatedly(Duration.ofSeconds(10), () -> ran.add("tick"));
        time.advance(Duration.ofSeconds(35));
        assertThat(ran).hasSize(3);
    }

    @Test
    @DisplayName("moving to the next task jumps to the soonest one-off task, past none of the others")
    void advanceToNextTask() {
        scheduler.scheduleRepeatedly(Duration.ofSeconds(1), () -> ran.add("tick"));
        scheduler.schedule(Duration.ofMillis(2500), () -> ran.add("retry"));
        scheduler.schedule(Duration.ofSeconds(4), () -> ran.add("probe"));
        assertThat(time.pendingDelays()).containsExactly(Duration.ofMillis(2500), Duration.ofSeconds(4));

        assertThat(time.advanceToNextTask()).contains(Duration.ofMillis(2500));
        assertThat(ran).containsExactly("tick", "tick", "retry");
        assertThat(time.advanceToNextTask()).contains(Duration.ofMillis(1500));
        assertThat(time.advanceToNextTask()).isEmpty();
    }

    @Test
    @DisplayName("a closed scheduler's tasks are dropped, and so is anything scheduled on it afterwards")
    void closedSchedulerDropsTasks() {
        scheduler.schedule(Duration.ofSeconds(1), () -> ran.add("before close"));
        scheduler.close();
        scheduler.schedule(Duration.ofSeconds(1), () -> ran.add("after close"));
        assertThat(time.pendingDelays()).isEmpty();
        time.advance(Duration.ofSeconds(5));
        assertThat(ran).isEmpty();
    }
}
