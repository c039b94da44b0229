package dev.gateway.core.snapshot;

/** How listen paths compare: {@code /api} and {@code /api/} are one path; an empty path is {@code /}. */
public final class ListenPaths {

    private ListenPaths() {
    }

    /** The canonical form: leading slash, no trailing slash except for the root. */
    public static String normalize(String listenPath) {
        String path = listenPath == null ? "" : listenPath.trim();
        if (path.isEmpty()) {
            return "/";
        }
        if (!path.startsWith("/")) {
            path = "/" + path;
        }
        int end = path.length();
        while (end > 1 && path.charAt(end - 1) == '/') {
            end--;
        }
        return path.substring(0, end);
    }
}
