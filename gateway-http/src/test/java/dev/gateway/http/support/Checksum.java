package dev.gateway.http.support;

import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;

/** Byte count and CRC-32 of a stream, read to its end in bounded pieces. */
public record Checksum(long bytes, long crc) {

    public static Checksum of(InputStream in) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            crc.update(buffer, 0, n);
            total += n;
        }
        return new Checksum(total, crc.getValue());
    }
}
