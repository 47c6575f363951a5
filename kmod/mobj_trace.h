/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mobj tracepoints: object and collector events, system "mobj".
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mobj

#if !defined(_MOBJ_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MOBJ_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(obj_new,
	TP_PROTO(u64 id, u32 type, u32 data_len),
	TP_ARGS(id, type, data_len),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(u32, type)
		__field(u32, data_len)
	),
	TP_fast_assign(
		__entry->id = id;
		__entry->type = type;
		__entry->data_len = data_len;
	),
	TP_printk("id=%llu type=%u data_len=%u",
		  __entry->id, __entry->type, __entry->data_len)
);

TRACE_EVENT(obj_free,
	TP_PROTO(u64 id, u32 type, u32 reason),
	TP_ARGS(id, type, reason),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(u32, type)
		__field(u32, reason)
	),
	TP_fast_assign(
		__entry->id = id;
		__entry->type = type;
		__entry->reason = reason;
	),
	TP_printk("id=%llu type=%u reason=%s", __entry->id, __entry->type,
		  __print_symbolic(__entry->reason,
				   { MOBJ_EVENT_REFCOUNT, "refcount" },
				   { MOBJ_EVENT_CYCLE, "cycle" }))
);

DECLARE_EVENT_CLASS(mobj_slot,
	TP_PROTO(u64 owner, u32 index, u64 target),
	TP_ARGS(owner, index, target),
	TP_STRUCT__entry(
		__field(u64, owner)
		__field(u64, target)
		__field(u32, index)
	),
	TP_fast_assign(
		__entry->owner = owner;
		__entry->target = target;
		__entry->index = index;
	),
	TP_printk("owner=%llu index=%u target=%llu",
		  __entry->owner, __entry->index, __entry->target)
);

/* A slot now refers to @target (append, set). */
DEFINE_EVENT(mobj_slot, slot_set,
	TP_PROTO(u64 owner, u32 index, u64 target),
	TP_ARGS(owner, index, target)
);

/* A slot no longer refers to @target (set, pop, freeing its owner). */
DEFINE_EVENT(mobj_slot, slot_clear,
	TP_PROTO(u64 owner, u32 index, u64 target),
	TP_ARGS(owner, index, target)
);

TRACE_EVENT(gc_start,
	TP_PROTO(u32 generation, u64 candidates),
	TP_ARGS(generation, candidates),
	TP_STRUCT__entry(
		__field(u64, candidates)
		__field(u32, generation)
	),
	TP_fast_assign(
		__entry->candidates = candidates;
		__entry->generation = generation;
	),
	TP_printk("generation=%u candidates=%llu",
		  __entry->generation, __entry->candidates)
);

TRACE_EVENT(gc_end,
	TP_PROTO(u32 generation, u64 collected, u64 uncollectable,
		 u64 duration_ns),
	TP_ARGS(generation, collected, uncollectable, duration_ns),
	TP_STRUCT__entry(
		__field(u64, collected)
		__field(u64, uncollectable)
		__field(u64, duration_ns)
		__field(u32, generation)
	),
	TP_fast_assign(
		__entry->collected = collected;
		__entry->uncollectable = uncollectable;
		__entry->duration_ns = duration_ns;
		__entry->generation = generation;
	),
	TP_printk("generation=%u collected=%llu uncollectable=%llu duration_ns=%llu",
		  __entry->generation, __entry->collected,
		  __entry->uncollectable, __entry->duration_ns)
);

#endif /* _MOBJ_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE mobj_trace
#include <trace/define_trace.h>
