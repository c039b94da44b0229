/**
 * Keys and sessions as Tyk keeps them: MurmurHash3 and SHA-256 key hashes, Tyk's token format and Redis key names,
 * the session object, and the store it is kept in.
 */
package dev.gateway.core.keys;
