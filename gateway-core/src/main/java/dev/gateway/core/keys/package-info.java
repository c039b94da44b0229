/** Tyk-compatible API key handling: MurmurHash3 and SHA-256 key hashes, Tyk's token format and Redis key names. */
package dev.gateway.core.keys;
