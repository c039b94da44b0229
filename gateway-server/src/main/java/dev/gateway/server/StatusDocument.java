package dev.gateway.server;

/** The JSON body of the status endpoint, shaped like Tyk's {@code /hello}. */
final class StatusDocument {

    static final String VERSION = versionOf();

    private StatusDocument() {
    }

    static String render(int apis, String transport) {
        return "{\"status\": \"pass\", \"version\": \"" + VERSION + "\", \"description\": \"gateway\","
                + " \"details\": {\"apis\": " + apis + ", \"transport\": \"" + transport + "\"}}";
    }

    private static String versionOf() {
        String version = StatusDocument.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
