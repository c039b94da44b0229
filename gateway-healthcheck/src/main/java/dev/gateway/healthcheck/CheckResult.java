package dev.gateway.healthcheck;

/** The outcome of one check: healthy, or why not (for the log line of a state change). */
public record CheckResult(boolean healthy, String reason) {

    private static final CheckResult OK = new CheckResult(true, "");

    public static CheckResult ok() {
        return OK;
    }

    public static CheckResult failed(String reason) {
        return new CheckResult(false, reason);
    }
}
