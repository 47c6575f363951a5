// SPDX-License-Identifier: GPL-2.0
/*
 * Per-client pools that hand out slab objects in address order.
 *
 * The collector walks the objects of a generation in the order they were
 * tracked, which for a structure built in one go is the order they were
 * allocated.  CPython's pymalloc carves a pool's blocks in address order,
 * so its gc walk runs through memory sequentially; a fresh slab hands out
 * its objects in the random order of CONFIG_SLAB_FREELIST_RANDOM, so the
 * same walk jumps around each page and every object costs a cache miss
 * (2.4 times as long per object for a 1M-object chain in the VM).  So
 * objects and one-slot arrays are taken from the slab in bulk, sorted, and
 * handed out lowest address first.
 *
 * The price: within one bulk the order of a client's allocations is
 * predictable again, which freelist randomisation was there to prevent;
 * which slab pages a bulk comes from is not.  A pool holds at most
 * MOBJ_POOL_MAX objects, charged to the memory cgroup of the task that
 * refilled it (a task of that client), and starts small, so a client that
 * makes few objects keeps few in reserve; under memory pressure (global
 * reclaim, or drop_caches) a shrinker takes back what the pools hold.  A
 * pool has its own spinlock: a client's threads allocate objects without
 * the big lock, and the shrinker takes no big lock (a holder of one may be
 * the task reclaiming).
 */
#include <linux/atomic.h>
#include <linux/minmax.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include <kunit/visibility.h>

#include "mobj.h"

/* The first refill's size; each refill doubles it, up to MOBJ_POOL_MAX. */
#define MOBJ_POOL_FIRST 8

/* Every pool, for the shrinker; nests outside each pool's lock. */
static LIST_HEAD(mobj_pools);
static DEFINE_SPINLOCK(mobj_pools_lock);

void mobj_pool_init(struct mobj_pool *pool, struct kmem_cache *cache)
{
	spin_lock_init(&pool->lock);
	pool->cache = cache;
	pool->n = 0;
	pool->refill = MOBJ_POOL_FIRST;
	pool->refilling = false;
	spin_lock(&mobj_pools_lock);
	list_add_tail(&pool->node, &mobj_pools);
	spin_unlock(&mobj_pools_lock);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_pool_init);

/* Highest address first (the pool hands out from the end): Shell sort. */
static void mobj_pool_sort(void **v, unsigned int n)
{
	static const unsigned int gaps[] = { 23, 10, 4, 1 };
	unsigned int g, i, j, gap;
	void *x;

	for (g = 0; g < ARRAY_SIZE(gaps); g++) {
		gap = gaps[g];
		for (i = gap; i < n; i++) {
			x = v[i];
			for (j = i; j >= gap &&
			     (unsigned long)v[j - gap] < (unsigned long)x;
			     j -= gap)
				v[j] = v[j - gap];
			v[j] = x;
		}
	}
}

/*
 * One object of the pool's cache, not zeroed; NULL when the slab has none.
 * A refill takes all it asks for or nothing: when it gets nothing (a memory
 * cgroup near its limit), one object is still tried for, and the next
 * refill asks for no more than this one did.  May sleep with @gfp.  The
 * refill writes @free without the lock: @refilling keeps other threads of
 * the client out (they take from the slab meanwhile), and with @n at zero
 * the shrinker does not look at it.
 */
void *mobj_pool_alloc(struct mobj_pool *pool, gfp_t gfp)
{
	unsigned int want;
	void *obj;
	int got;

	spin_lock(&pool->lock);
	if (likely(pool->n)) {
		obj = pool->free[--pool->n];
		spin_unlock(&pool->lock);
		return obj;
	}
	if (pool->refilling) {
		spin_unlock(&pool->lock);
		return kmem_cache_alloc(pool->cache, gfp);
	}
	pool->refilling = true;
	want = pool->refill;
	pool->refill = min_t(unsigned int, want * 2, MOBJ_POOL_MAX);
	spin_unlock(&pool->lock);

	got = kmem_cache_alloc_bulk(pool->cache, gfp, want, pool->free);
	mobj_pool_sort(pool->free, got);
	obj = got ? pool->free[--got] : NULL;
	spin_lock(&pool->lock);
	pool->n = got;
	pool->refilling = false;
	if (!obj)
		pool->refill = want;
	spin_unlock(&pool->lock);
	return obj ?: kmem_cache_alloc(pool->cache, gfp);
}
EXPORT_SYMBOL_IF_KUNIT(mobj_pool_alloc);

/* Give back what the pool holds; nobody allocates from it any more. */
void mobj_pool_destroy(struct mobj_pool *pool)
{
	spin_lock(&mobj_pools_lock);
	list_del(&pool->node);
	spin_unlock(&mobj_pools_lock);
	kmem_cache_free_bulk(pool->cache, pool->n, pool->free);
	pool->n = 0;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_pool_destroy);

/*
 * Give back up to @nr pooled objects, the highest addresses of each pool
 * first (the ones it would hand out last); a pool emptied starts small
 * again.  Returns how many went back.
 */
unsigned long mobj_pools_shrink(unsigned long nr)
{
	struct mobj_pool *pool;
	unsigned long freed = 0;
	unsigned int k;

	spin_lock(&mobj_pools_lock);
	list_for_each_entry(pool, &mobj_pools, node) {
		if (freed >= nr)
			break;
		spin_lock(&pool->lock);
		k = min_t(unsigned long, pool->n, nr - freed);
		if (k) {
			/* Not sleeping: kmem_cache_free_bulk() never does. */
			kmem_cache_free_bulk(pool->cache, k, pool->free);
			pool->n -= k;
			memmove(pool->free, pool->free + k,
				pool->n * sizeof(pool->free[0]));
			if (!pool->n)
				pool->refill = MOBJ_POOL_FIRST;
		}
		spin_unlock(&pool->lock);
		freed += k;
	}
	spin_unlock(&mobj_pools_lock);
	return freed;
}
EXPORT_SYMBOL_IF_KUNIT(mobj_pools_shrink);

static unsigned long mobj_pools_count(struct shrinker *shrinker,
				      struct shrink_control *sc)
{
	struct mobj_pool *pool;
	unsigned long n = 0;

	spin_lock(&mobj_pools_lock);
	list_for_each_entry(pool, &mobj_pools, node)
		n += READ_ONCE(pool->n);
	spin_unlock(&mobj_pools_lock);
	return n ?: SHRINK_EMPTY;
}

static unsigned long mobj_pools_scan(struct shrinker *shrinker,
				     struct shrink_control *sc)
{
	return mobj_pools_shrink(sc->nr_to_scan);
}

static struct shrinker mobj_pools_shrinker = {
	.count_objects = mobj_pools_count,
	.scan_objects = mobj_pools_scan,
	.seeks = DEFAULT_SEEKS,
};

int mobj_pools_init(void)
{
	return register_shrinker(&mobj_pools_shrinker, "mobj-pools");
}

/* After the last client is gone: no pool is left. */
void mobj_pools_exit(void)
{
	unregister_shrinker(&mobj_pools_shrinker);
	WARN_ON(!list_empty(&mobj_pools));
}
