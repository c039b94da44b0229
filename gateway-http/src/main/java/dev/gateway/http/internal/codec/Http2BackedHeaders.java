package dev.gateway.http.internal.codec;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValidationUtil;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The regular fields of an HTTP/2 header block, seen as {@link HttpHeaders} without a copy. The exchange, its
 * filters and the gRPC rules read and change an HTTP/2 message through this view, and the block itself goes on to
 * the other side, so a call proxied from HTTP/2 to HTTP/2 never converts its headers.
 *
 * <ul>
 *   <li>Pseudo-header fields stay in the block and out of sight: the message's method, target and status carry
 *       them, and the codec writes them back from there.</li>
 *   <li>Names are looked up and stored lowercase, as HTTP/2 has them; values written through the view are checked
 *       as HTTP/1.1 would check them, since they may reach an HTTP/1.1 peer.</li>
 *   <li>One field is virtual: {@code transfer-encoding: chunked}. HTTP/2 forbids it on the wire, but HTTP/1.1 code
 *       reads it to learn that a body of unknown length follows; it lives in a flag and never enters the block.</li>
 * </ul>
 */
public final class Http2BackedHeaders extends HttpHeaders {

    private final Http2Headers block;
    private boolean chunked;

    public Http2BackedHeaders(Http2Headers block) {
        this.block = block;
    }

    /** The block behind the view, pseudo-header fields included. */
    public Http2Headers block() {
        return block;
    }

    /**
     * The same fields as HTTP/1.1 headers of their own, for an HTTP/1.1 peer: the {@code cookie} fields, which
     * HTTP/2 may split, joined into one (RFC 9113, 8.2.3).
     */
    public HttpHeaders toHttp1() {
        HttpHeaders copy = new DefaultHttpHeaders();
        StringBuilder cookies = null;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> field = it.next();
            if (AsciiString.contentEquals(HttpHeaderNames.COOKIE, field.getKey())) {
                cookies = cookies == null ? new StringBuilder() : cookies.append("; ");
                cookies.append(field.getValue());
            } else {
                copy.add(field.getKey(), field.getValue());
            }
        }
        if (cookies != null) {
            copy.add(HttpHeaderNames.COOKIE, cookies.toString());
        }
        return copy;
    }

    void chunked(boolean chunked) {
        this.chunked = chunked;
    }

    // ---- names ------------------------------------------------------------------------------------------------

    private static boolean isTransferEncoding(CharSequence name) {
        return name.length() == 17 && AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING);
    }

    private static boolean isPseudo(CharSequence name) {
        return name.length() > 0 && name.charAt(0) == ':';
    }

    /** The name as the block stores it: lowercase, without a copy when it already is. */
    private static CharSequence key(CharSequence name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                return AsciiString.of(name).toLowerCase();
            }
        }
        return name;
    }

    private static CharSequence value(Object value) {
        CharSequence text;
        if (value instanceof CharSequence chars) {
            text = chars;
        } else if (value instanceof Date date) {
            text = DateFormatter.format(date);
        } else {
            text = String.valueOf(value);
        }
        int bad = HttpHeaderValidationUtil.validateValidHeaderValue(text);
        if (bad != -1) {
            throw new IllegalArgumentException("a header value may not contain character " + (int) text.charAt(bad));
        }
        return text;
    }

    // ---- reads ------------------------------------------------------------------------------------------------

    @Override
    public String get(String name) {
        return get((CharSequence) name);
    }

    @Override
    public String get(CharSequence name) {
        if (isTransferEncoding(name)) {
            return chunked ? HttpHeaderValues.CHUNKED.toString() : null;
        }
        if (isPseudo(name)) {
            return null;
        }
        CharSequence value = block.get(key(name));
        return value == null ? null : value.toString();
    }

    @Override
    public Integer getInt(CharSequence name) {
        return isPseudo(name) ? null : block.getInt(key(name));
    }

    @Override
    public int getInt(CharSequence name, int defaultValue) {
        Integer value = getInt(name);
        return value == null ? defaultValue : value;
    }

    @Override
    public Short getShort(CharSequence name) {
        return isPseudo(name) ? null : block.getShort(key(name));
    }

    @Override
    public short getShort(CharSequence name, short defaultValue) {
        Short value = getShort(name);
        return value == null ? defaultValue : value;
    }

    @Override
    public Long getTimeMillis(CharSequence name) {
        return isPseudo(name) ? null : block.getTimeMillis(key(name));
    }

    @Override
    public long getTimeMillis(CharSequence name, long defaultValue) {
        Long value = getTimeMillis(name);
        return value == null ? defaultValue : value;
    }

    @Override
    public List<String> getAll(String name) {
        return getAll((CharSequence) name);
    }

    @Override
    public List<String> getAll(CharSequence name) {
        if (isTransferEncoding(name)) {
            return chunked ? List.of(HttpHeaderValues.CHUNKED.toString()) : List.of();
        }
        if (isPseudo(name)) {
            return List.of();
        }
        List<CharSequence> values = block.getAll(key(name));
        if (values.isEmpty()) {
            return Collections.emptyList();
        }
        List<String> texts = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            texts.add(values.get(i).toString());
        }
        return texts;
    }

    @Override
    public boolean contains(String name) {
        return contains((CharSequence) name);
    }

    @Override
    public boolean contains(CharSequence name) {
        if (isTransferEncoding(name)) {
            return chunked;
        }
        return !isPseudo(name) && block.contains(key(name));
    }

    @Override
    public boolean containsValue(CharSequence name, CharSequence value, boolean ignoreCase) {
        if (isTransferEncoding(name)) {
            return chunked && AsciiString.contentEqualsIgnoreCase(value, HttpHeaderValues.CHUNKED);
        }
        return super.containsValue(name, value, ignoreCase);
    }

    @Override
    public List<Map.Entry<String, String>> entries() {
        List<Map.Entry<String, String>> entries = new ArrayList<>(size());
        for (Map.Entry<String, String> entry : this) {
            entries.add(entry);
        }
        return entries;
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        Iterator<Map.Entry<CharSequence, CharSequence>> fields = iteratorCharSequence();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return fields.hasNext();
            }

            @Override
            public Map.Entry<String, String> next() {
                Map.Entry<CharSequence, CharSequence> field = fields.next();
                return new AbstractMap.SimpleImmutableEntry<>(field.getKey().toString(),
                        field.getValue().toString());
            }
        };
    }

    @Override
    public Iterator<Map.Entry<CharSequence, CharSequence>> iteratorCharSequence() {
        return new RegularFields();
    }

    @Override
    public boolean isEmpty() {
        if (chunked) {
            return false;
        }
        for (Map.Entry<CharSequence, CharSequence> field : block) {
            if (!isPseudo(field.getKey())) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int size() {
        int size = chunked ? 1 : 0;
        for (Map.Entry<CharSequence, CharSequence> field : block) {
            if (!isPseudo(field.getKey())) {
                size++;
            }
        }
        return size;
    }

    @Override
    public Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = iteratorCharSequence(); it.hasNext(); ) {
            names.add(it.next().getKey().toString());
        }
        return names;
    }

    // ---- writes -----------------------------------------------------------------------------------------------

    @Override
    public HttpHeaders add(String name, Object value) {
        return add((CharSequence) name, value);
    }

    @Override
    public HttpHeaders add(CharSequence name, Object value) {
        if (isTransferEncoding(name)) {
            chunked |= AsciiString.containsIgnoreCase(value(value), HttpHeaderValues.CHUNKED);
        } else {
            block.add(regularKey(name), value(value));
        }
        return this;
    }

    @Override
    public HttpHeaders add(String name, Iterable<?> values) {
        for (Object value : values) {
            add(name, value);
        }
        return this;
    }

    @Override
    public HttpHeaders addInt(CharSequence name, int value) {
        return add(name, Integer.toString(value));
    }

    @Override
    public HttpHeaders addShort(CharSequence name, short value) {
        return add(name, Short.toString(value));
    }

    @Override
    public HttpHeaders set(String name, Object value) {
        return set((CharSequence) name, value);
    }

    @Override
    public HttpHeaders set(CharSequence name, Object value) {
        if (isTransferEncoding(name)) {
            chunked = AsciiString.containsIgnoreCase(value(value), HttpHeaderValues.CHUNKED);
        } else {
            block.set(regularKey(name), value(value));
        }
        return this;
    }

    @Override
    public HttpHeaders set(String name, Iterable<?> values) {
        remove(name);
        return add(name, values);
    }

    @Override
    public HttpHeaders setInt(CharSequence name, int value) {
        return set(name, Integer.toString(value));
    }

    @Override
    public HttpHeaders setShort(CharSequence name, short value) {
        return set(name, Short.toString(value));
    }

    @Override
    public HttpHeaders remove(String name) {
        return remove((CharSequence) name);
    }

    @Override
    public HttpHeaders remove(CharSequence name) {
        if (isTransferEncoding(name)) {
            chunked = false;
        } else if (!isPseudo(name)) {
            block.remove(key(name));
        }
        return this;
    }

    @Override
    public HttpHeaders clear() {
        chunked = false;
        for (String name : names()) {
            block.remove(name);
        }
        return this;
    }

    /** A name a caller may write: never a pseudo-header field, which only the codec sets. */
    private static CharSequence regularKey(CharSequence name) {
        if (isPseudo(name)) {
            throw new IllegalArgumentException("pseudo-header field " + name + " cannot be set as a header");
        }
        return key(name);
    }

    /** The block's fields without its pseudo-header fields, then the virtual {@code transfer-encoding}. */
    private final class RegularFields implements Iterator<Map.Entry<CharSequence, CharSequence>> {
        private final Iterator<Map.Entry<CharSequence, CharSequence>> fields = block.iterator();
        private Map.Entry<CharSequence, CharSequence> next = advance();
        private boolean chunkedPending = chunked;

        private Map.Entry<CharSequence, CharSequence> advance() {
            while (fields.hasNext()) {
                Map.Entry<CharSequence, CharSequence> field = fields.next();
                if (!isPseudo(field.getKey())) {
                    return field;
                }
            }
            return null;
        }

        @Override
        public boolean hasNext() {
            return next != null || chunkedPending;
        }

        @Override
        public Map.Entry<CharSequence, CharSequence> next() {
            if (next != null) {
                Map.Entry<CharSequence, CharSequence> field = next;
                next = advance();
                return field;
            }
            if (chunkedPending) {
                chunkedPending = false;
                return new AbstractMap.SimpleImmutableEntry<>(HttpHeaderNames.TRANSFER_ENCODING,
                        HttpHeaderValues.CHUNKED);
            }
            throw new NoSuchElementException();
        }
    }
}
