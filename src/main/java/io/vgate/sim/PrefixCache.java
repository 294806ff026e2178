package io.vgate.sim;

import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * vLLM's automatic prefix cache, as far as timing and metrics can tell: a prompt is cut into whole blocks of
 * {@value SimEngine#BLOCK_SIZE} tokens, each block identified by a hash chained over every block before it (the first
 * one salted with the request's {@code cache_salt}, so that different salts never share a block). A lookup counts the
 * leading blocks already cached, never the whole prompt (the last token is always computed, as in vLLM), and then
 * caches the prompt's blocks. The cache holds at most the KV cache's number of blocks, least recently used out first.
 *
 * <p>Thread-safe; lookups are short and run under the cache's lock.</p>
 */
final class PrefixCache {

    private static final long SEED = 0x9E3779B97F4A7C15L;
    private static final Boolean PRESENT = Boolean.TRUE;

    /** Block hashes in access order: the eldest is the least recently used. */
    private final LinkedHashMap<Long, Boolean> blocks = new LinkedHashMap<>(1024, 0.75f, true);

    /**
     * Looks a prompt up and caches its whole blocks.
     *
     * @param ids the prompt's token ids
     * @param salt the request's {@code cache_salt}, or null
     * @param capacityBlocks how many blocks the cache may hold
     * @return the prompt's tokens found cached: a multiple of the block size, below the prompt's length
     */
    synchronized int lookup(int[] ids, String salt, int capacityBlocks) {
        int full = ids.length / SimEngine.BLOCK_SIZE;
        int hitLimit = Math.max(0, ids.length - 1) / SimEngine.BLOCK_SIZE;
        long hash = salt == null ? SEED : mix(SEED, TokenSource.seedOf(salt));
        int hits = 0;
        boolean hitting = true;
        for (int b = 0; b < full; b++) {
            hash = blockHash(hash, ids, b * SimEngine.BLOCK_SIZE);
            if (hitting && b < hitLimit && blocks.get(hash) != null) {
                hits++;
            } else {
                hitting = false;
                blocks.put(hash, PRESENT);
            }
        }
        evict(capacityBlocks);
        return hits * SimEngine.BLOCK_SIZE;
    }

    synchronized void clear() {
        blocks.clear();
    }

    synchronized int size() {
        return blocks.size();
    }

    private void evict(int capacityBlocks) {
        Iterator<Long> eldest = blocks.keySet().iterator();
        for (int excess = blocks.size() - Math.max(1, capacityBlocks); excess > 0 && eldest.hasNext(); excess--) {
            eldest.next();
            eldest.remove();
        }
    }

    private static long blockHash(long parent, int[] ids, int from) {
        long h = parent;
        for (int i = from; i < from + SimEngine.BLOCK_SIZE; i++) {
            h = mix(h, ids[i]);
        }
        return h;
    }

    /** One step of a 64-bit mixing function (SplitMix64's finaliser over the running value and the next input). */
    private static long mix(long h, long value) {
        long z = h ^ (value + 0x9E3779B97F4A7C15L + (h << 6) + (h >>> 2));
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
