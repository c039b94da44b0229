package dev.gateway.core.config;

/**
 * One thing wrong with the configuration, named precisely enough to fix it.
 *
 * @param severity {@link Severity#ERROR} means the API (or the whole start-up, for {@code tyk.conf}) was refused
 * @param file the file, as the user would find it
 * @param jsonPath a JSON pointer into that file ({@code /proxy/target_list/1}); empty for the whole file
 * @param apiId the API concerned, empty when none is known
 * @param reason what is wrong, in words
 */
public record LoadProblem(Severity severity, String file, String jsonPath, String apiId, String reason) {

    /** How bad a problem is. */
    public enum Severity { WARNING, ERROR }

    public static LoadProblem error(String file, String jsonPath, String apiId, String reason) {
        return new LoadProblem(Severity.ERROR, file, jsonPath, apiId, reason);
    }

    public static LoadProblem warning(String file, String jsonPath, String apiId, String reason) {
        return new LoadProblem(Severity.WARNING, file, jsonPath, apiId, reason);
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(file);
        if (!jsonPath.isEmpty()) {
            sb.append(" at ").append(jsonPath);
        }
        if (!apiId.isEmpty()) {
            sb.append(" (api ").append(apiId).append(')');
        }
        return sb.append(": ").append(reason).toString();
    }
}
