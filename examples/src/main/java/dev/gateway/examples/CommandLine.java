package dev.gateway.examples;

/**
 * What the examples' {@code main} methods check on their arguments: that a flag has a value and a number is in
 * range. A bad argument prints what is wrong and the usage, and exits with status 2.
 */
public final class CommandLine {

    private final String usage;

    public CommandLine(String usage) {
        this.usage = usage;
    }

    /** {@code args[i]}, the value of {@code flag}. */
    public String valueOf(String[] args, int i, String flag) {
        if (i >= args.length) {
            fail(flag + " needs a value");
        }
        return args[i];
    }

    /** {@code value} as an integer of at least {@code min}. */
    public int atLeast(String value, int min) {
        return between(value, min, Integer.MAX_VALUE);
    }

    /** {@code value} as a port number, 0 included. */
    public int port(String value) {
        return between(value, 0, 65535);
    }

    /** {@code value} as an integer from {@code min} to {@code max}. */
    public int between(String value, int min, int max) {
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        fail("not an integer in " + min + ".." + max + ": " + value);
        return -1;
    }

    /** Prints {@code problem} and the usage, and exits with status 2. */
    public void fail(String problem) {
        System.err.println(problem);
        System.err.println(usage);
        System.exit(2);
    }
}
