// SPDX-License-Identifier: GPL-2.0-only
/*
 * memmodel: a QEMU TCG plugin that counts, for chosen stretches of a
 * guest's run, what a CPU and its caches would see: instructions (user and
 * kernel), level 1 instruction and data cache misses, level 2 misses and
 * write-backs, accesses to device registers (by device) and to memory the
 * guest maps uncached. tests/bench/model.py turns the counts into cycles.
 *
 * The stretches are marked by the program under test with hint
 * instructions that execute as no-ops (HINT #0x60..#0x7f, unallocated in
 * ARMv7 and ARMv8, so they are no-ops on a board too; bench/marker.h):
 * an operation, then its 32-bit argument as eight hints of one nibble
 * each. Every counter runs all the time (the caches must see the whole
 * run to hold what a board's would); a window's figures are the counters
 * at its end less those at its start, less its paused stretches.
 *
 *   BEGIN id, END id      a window; its figures are printed at END
 *   PROFILE id            BEGIN, and at END the counts per translated
 *                         block as well (where the cycles go)
 *   PAUSE, RESUME         leave a stretch out of the open window
 *   UNCACHED va           the page of the next access to va (low 32 bits)
 *                         is uncached memory (a coherent DMA buffer): its
 *                         accesses bypass the caches and are counted
 *   UNCACHED_CLEAR        forget every uncached page
 *
 * The caches: set-associative, true LRU, write-back and write-allocate,
 * physically indexed (code by its host address, which keeps the set index
 * as QEMU maps guest RAM aligned), a unified level 2 behind split level 1
 * caches, each level 1 miss one level 2 access, each dirty level 1
 * eviction a write into level 2. A miss at most two lines from one of the
 * last 32 misses of its level counts as sequential as well
 * (stream_next()). What a plugin cannot see: other bus
 * masters (DMA engines, the NIC) and cache maintenance by address (a
 * DMA-mapped line stays in the model until evicted), so a bench keeps
 * its buffers larger than the level 2 cache.
 *
 * Arguments: l1i=SIZE:WAYS:LINE, l1d=..., l2=... (bytes, ways, bytes),
 * kernel=ADDRESS (instructions at or above it count as kernel; the
 * default suits arm's 3G/1G split and arm64), check=on (count the way
 * QEMU's contrib/plugins/cache.c does, to check this model against it: no
 * write-backs, no uncached pages, an access in its first line only).
 * Built at bench time against qemu-plugin.h from Debian's qemu source
 * (tests/bench/build-plugins.sh).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* Marker hints: operations 0x60..0x66, nibbles 0x70..0x7f. */
enum {
	OP_BEGIN = 0x60,
	OP_END,
	OP_PAUSE,
	OP_RESUME,
	OP_UNCACHED,
	OP_UNCACHED_CLEAR,
	OP_PROFILE,
	OP_NIBBLE = 0x70,
};

struct cache {
	unsigned int line_shift, set_shift, ways;
	uint64_t sets_mask, clock;
	uint64_t *tag;		/* line address + 1; 0: invalid */
	uint64_t *stamp;	/* last use, for LRU */
	uint8_t *dirty;
};

/* Everything counted; a window is a difference of two of these. */
struct counts {
	uint64_t insn_user, insn_kernel;
	uint64_t l1i, l1i_miss, l1i_miss_seq;
	uint64_t l1d, l1d_miss, l1d_miss_seq, l1d_wb;
	uint64_t l2, l2_miss, l2_miss_seq, l2_wb;
	uint64_t io_read, io_write;
	uint64_t nc_read, nc_write, nc_read_bytes, nc_write_bytes;
};

#define NR_COUNTS (sizeof(struct counts) / sizeof(uint64_t))
static const char *const count_names[NR_COUNTS] = {
	"insn_user", "insn_kernel", "l1i", "l1i_miss", "l1i_miss_seq", "l1d",
	"l1d_miss", "l1d_miss_seq", "l1d_wb", "l2", "l2_miss", "l2_miss_seq",
	"l2_wb", "io_read", "io_write", "nc_read",
	"nc_write", "nc_read_bytes", "nc_write_bytes",
};

/* Device register accesses, by QEMU's name of the memory region. */
#define MAX_DEVICES 48
struct device {
	const char *name;	/* interned by QEMU: compared as a pointer */
	uint64_t read, write;
};

/* Per translated block, for PROFILE windows. */
struct block {
	uint64_t vaddr;
	uint32_t insns;
	uint64_t execs, l1i_miss, l1d_miss, l2_miss, io_read, io_write;
	uint64_t l1_seq, l2_seq;	/* misses next to a recent miss */
	uint64_t nc_bytes;
	struct block_counts {		/* the above when the window paused */
		uint64_t execs, l1i_miss, l1d_miss, l2_miss, io_read;
		uint64_t io_write, l1_seq, l2_seq, nc_bytes;
	} at_pause;
	struct block *next;
};

/*
 * Misses near one of the last misses of the same level: what a stream
 * prefetcher and overlapping line fills hide, as in a copy. The model
 * charges them less than a lone miss. Near is one or two lines either
 * way: glibc's ARMv7 memcpy reads ahead in 64-byte steps, every other
 * 32-byte line, and the line between misses a little later; and the last
 * 32 misses, so that two interleaved streams (a copy's source and
 * destination, each with its read-ahead) are each still seen as one.
 */
#define STREAM_DEPTH 32
#define STREAM_REACH 2
struct stream {
	uint64_t line[STREAM_DEPTH];	/* + 1; 0: empty */
	unsigned int next;
};

static bool stream_next(struct stream *s, uint64_t line)
{
	bool seq = false;
	unsigned int i;

	for (i = 0; i < STREAM_DEPTH && !seq; i++) {
		uint64_t near = s->line[i] - 1;	/* a line that missed */

		seq = s->line[i] && near != line &&
		      near + STREAM_REACH >= line && line + STREAM_REACH >= near;
	}
	s->line[s->next] = line + 1;
	s->next = (s->next + 1) % STREAM_DEPTH;
	return seq;
}

/* Uncached pages: an open-addressing set of page frame numbers. */
#define NC_SLOTS 4096

static struct {
	bool aarch64;
	bool like_cache_c;	/* check=on: count as contrib/plugins/cache.c */
	uint64_t kernel_base;
	struct cache l1i, l1d, l2;
	struct stream s1i, s1d, s2;
	struct counts c;
	struct device dev[MAX_DEVICES];
	unsigned int ndev;
	uint64_t nc_pages[NC_SLOTS];	/* pfn + 1 */
	unsigned int nc_count;
	/* The marker being read. */
	int op;
	unsigned int nibbles;
	uint32_t arg;
	/* An UNCACHED probe waiting for its access. */
	bool probe;
	uint32_t probe_va;
	/* The window. */
	bool open, paused, profile;
	uint32_t id;
	struct counts begin, pause_at, paused_sum;
	struct device dev_begin[MAX_DEVICES];
	struct block *blocks;
	uint64_t windows, bad_markers;
} m;

static int cache_init(struct cache *c, const char *spec)
{
	unsigned long size, ways, line;
	uint64_t sets;

	if (sscanf(spec, "%lu:%lu:%lu", &size, &ways, &line) != 3 || !ways ||
	    !line || (line & (line - 1)) || size % (ways * line))
		return -1;
	sets = size / (ways * line);
	if (sets & (sets - 1))
		return -1;
	c->ways = (unsigned int)ways;
	c->line_shift = (unsigned int)__builtin_ctzl(line);
	c->set_shift = (unsigned int)__builtin_ctzll(sets);
	c->sets_mask = sets - 1;
	c->tag = calloc(sets * ways, sizeof(*c->tag));
	c->stamp = calloc(sets * ways, sizeof(*c->stamp));
	c->dirty = calloc(sets * ways, 1);
	return c->tag && c->stamp && c->dirty ? 0 : -1;
}

/*
 * Look up @line (an address shifted right by the line size); on a miss
 * fill it, evicting the least recently used way. Returns true on a hit;
 * *@evicted is the dirty line written back (+1), or 0.
 */
static bool cache_access(struct cache *c, uint64_t line, bool write,
			 uint64_t *evicted)
{
	uint64_t set = line & c->sets_mask;
	uint64_t *tag = c->tag + set * c->ways;
	uint64_t *stamp = c->stamp + set * c->ways;
	uint8_t *dirty = c->dirty + set * c->ways;
	unsigned int w, victim = 0;

	*evicted = 0;
	c->clock++;
	for (w = 0; w < c->ways; w++) {
		if (tag[w] == line + 1) {
			stamp[w] = c->clock;
			dirty[w] |= write;
			return true;
		}
		if (stamp[w] < stamp[victim])
			victim = w;
	}
	if (tag[victim] && dirty[victim])
		*evicted = tag[victim];
	tag[victim] = line + 1;
	stamp[victim] = c->clock;
	dirty[victim] = write;
	return false;
}

/*
 * A level 1 miss (or write-back) reaching level 2, by byte address: a
 * fill's miss counted into @b, and whether it was one.
 */
static bool l2_access(uint64_t addr, bool write, struct block *b)
{
	uint64_t ev, line = addr >> m.l2.line_shift;
	bool hit = cache_access(&m.l2, line, write, &ev);

	if (!write) {
		m.c.l2++;
		if (!hit) {
			bool seq = stream_next(&m.s2, line);

			m.c.l2_miss++;
			m.c.l2_miss_seq += seq;
			b->l2_miss++;
			b->l2_seq += seq;
		}
	}
	m.c.l2_wb += ev != 0;
	return hit;
}

static bool l1_access(struct cache *c, uint64_t addr, bool write,
		      uint64_t *wb)
{
	uint64_t ev;
	bool hit = cache_access(c, addr >> c->line_shift, write, &ev);

	if (ev && !m.like_cache_c) {
		(*wb)++;
		l2_access((ev - 1) << c->line_shift, true, NULL);
	}
	return hit;
}

static bool nc_page(uint64_t pfn)
{
	unsigned int i = (unsigned int)(pfn * 0x9E3779B1u) % NC_SLOTS, k;

	if (!m.nc_count)
		return false;
	for (k = 0; k < NC_SLOTS && m.nc_pages[i]; k++, i = (i + 1) % NC_SLOTS)
		if (m.nc_pages[i] == pfn + 1)
			return true;
	return false;
}

static void nc_add(uint64_t pfn)
{
	unsigned int i = (unsigned int)(pfn * 0x9E3779B1u) % NC_SLOTS, k;

	for (k = 0; k < NC_SLOTS; k++, i = (i + 1) % NC_SLOTS) {
		if (m.nc_pages[i] == pfn + 1)
			return;
		if (!m.nc_pages[i]) {
			m.nc_pages[i] = pfn + 1;
			m.nc_count++;
			return;
		}
	}
	m.bad_markers++;	/* full: the page stays cached */
}

static struct device *device(const char *name)
{
	unsigned int i;

	for (i = 0; i < m.ndev; i++)
		if (m.dev[i].name == name)
			return &m.dev[i];
	if (m.ndev == MAX_DEVICES)
		return &m.dev[MAX_DEVICES - 1];	/* the last one takes the rest */
	m.dev[m.ndev].name = name;
	return &m.dev[m.ndev++];
}

static void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info,
		   uint64_t vaddr, void *udata)
{
	struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);
	bool store = qemu_plugin_mem_is_store(info);
	unsigned int size = 1u << qemu_plugin_mem_size_shift(info);
	struct block *b = udata;
	uint64_t pa, first, last, line;

	(void)vcpu;
	if (!hw)
		return;
	if (qemu_plugin_hwaddr_is_io(hw)) {
		struct device *d = device(qemu_plugin_hwaddr_device_name(hw));

		if (store) {
			d->write++;
			m.c.io_write++;
			b->io_write++;
		} else {
			d->read++;
			m.c.io_read++;
			b->io_read++;
		}
		return;
	}
	pa = qemu_plugin_hwaddr_phys_addr(hw);
	if (m.probe && (uint32_t)vaddr == m.probe_va) {
		m.probe = false;
		nc_add(pa >> 12);
	}
	if (!m.like_cache_c && nc_page(pa >> 12)) {
		b->nc_bytes += size;
		if (store) {
			m.c.nc_write++;
			m.c.nc_write_bytes += size;
		} else {
			m.c.nc_read++;
			m.c.nc_read_bytes += size;
		}
		return;
	}
	/* An access across a line boundary touches both lines. */
	first = pa >> m.l1d.line_shift;
	last = m.like_cache_c ? first : (pa + size - 1) >> m.l1d.line_shift;
	for (line = first; line <= last; line++) {
		uint64_t addr = line << m.l1d.line_shift;

		m.c.l1d++;
		if (!l1_access(&m.l1d, addr, store, &m.c.l1d_wb)) {
			bool seq = stream_next(&m.s1d, line);

			m.c.l1d_miss++;
			m.c.l1d_miss_seq += seq;
			b->l1d_miss++;
			b->l1_seq += seq;
			l2_access(addr, false, b);
		}
	}
}

/* The first instruction of each cache line a block runs through. */
static void on_fetch(unsigned int vcpu, void *udata)
{
	struct block *b = *(struct block **)udata;
	uint64_t addr = *(uint64_t *)((char *)udata + sizeof(void *));
	uint64_t never_dirty = 0;

	(void)vcpu;
	m.c.l1i++;
	if (!l1_access(&m.l1i, addr, false, &never_dirty)) {
		bool seq = stream_next(&m.s1i, addr >> m.l1i.line_shift);

		m.c.l1i_miss++;
		m.c.l1i_miss_seq += seq;
		b->l1i_miss++;
		b->l1_seq += seq;
		l2_access(addr, false, b);
	}
}

static void print_window(void)
{
	uint64_t *b = (uint64_t *)&m.begin, *c = (uint64_t *)&m.c;
	uint64_t *p = (uint64_t *)&m.paused_sum;
	char line[2048];
	size_t n = 0;
	unsigned int i;

	n += (size_t)snprintf(line + n, sizeof(line) - n,
			      "memmodel window id=%" PRIu32, m.id);
	for (i = 0; i < NR_COUNTS; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%" PRIu64,
				      count_names[i], c[i] - b[i] - p[i]);
	/* Paused stretches are not taken off per device: none touch them. */
	n += (size_t)snprintf(line + n, sizeof(line) - n, " devices=");
	for (i = 0; i < m.ndev && n < sizeof(line) - 100; i++) {
		uint64_t r = m.dev[i].read - m.dev_begin[i].read;
		uint64_t w = m.dev[i].write - m.dev_begin[i].write;

		if (r || w)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      "%s:%" PRIu64 ":%" PRIu64 ";",
					      m.dev[i].name, r, w);
	}
	snprintf(line + n, sizeof(line) - n, "\n");
	qemu_plugin_outs(line);
}

static void print_profile(void)
{
	char line[256];
	struct block *b;

	for (b = m.blocks; b; b = b->next) {
		if (!b->execs)
			continue;
		snprintf(line, sizeof(line), "memmodel block id=%" PRIu32
			 " va=0x%" PRIx64 " insns=%" PRIu32 " execs=%" PRIu64
			 " l1i_miss=%" PRIu64 " l1d_miss=%" PRIu64 " l1_seq=%"
			 PRIu64 " l2_miss=%" PRIu64 " l2_seq=%" PRIu64
			 " io_read=%" PRIu64 " io_write=%" PRIu64
			 " nc_bytes=%" PRIu64 "\n", m.id, b->vaddr, b->insns,
			 b->execs, b->l1i_miss, b->l1d_miss, b->l1_seq,
			 b->l2_miss, b->l2_seq, b->io_read, b->io_write,
			 b->nc_bytes);
		qemu_plugin_outs(line);
	}
}

static void zero_blocks(void)
{
	struct block *b;

	for (b = m.blocks; b; b = b->next)
		b->execs = b->l1i_miss = b->l1d_miss = b->l2_miss = b->io_read =
			b->io_write = b->nc_bytes = b->l1_seq = b->l2_seq = 0;
}

/*
 * A profile window's paused stretch: each block's counts as they were at
 * the pause (execs is counted inline, so the stretch cannot be skipped as
 * it runs; it is taken back at the resume instead). @save at the pause.
 */
static void blocks_paused(bool save)
{
	struct block *b;

	for (b = m.blocks; b; b = b->next) {
		struct block_counts now = {
			b->execs, b->l1i_miss, b->l1d_miss, b->l2_miss,
			b->io_read, b->io_write, b->l1_seq, b->l2_seq,
			b->nc_bytes,
		}, *p = &b->at_pause;

		if (save) {
			*p = now;
			continue;
		}
		b->execs = p->execs;
		b->l1i_miss = p->l1i_miss;
		b->l1d_miss = p->l1d_miss;
		b->l2_miss = p->l2_miss;
		b->io_read = p->io_read;
		b->io_write = p->io_write;
		b->l1_seq = p->l1_seq;
		b->l2_seq = p->l2_seq;
		b->nc_bytes = p->nc_bytes;
	}
}

static void sum_paused(void)
{
	uint64_t *s = (uint64_t *)&m.paused_sum, *c = (uint64_t *)&m.c;
	uint64_t *p = (uint64_t *)&m.pause_at;
	unsigned int i;

	for (i = 0; i < NR_COUNTS; i++)
		s[i] += c[i] - p[i];
}

static void run_marker(int op, uint32_t arg)
{
	switch (op) {
	case OP_BEGIN:
	case OP_PROFILE:
		m.open = true;
		m.paused = false;
		m.profile = op == OP_PROFILE;
		m.id = arg;
		m.begin = m.c;
		memset(&m.paused_sum, 0, sizeof(m.paused_sum));
		memcpy(m.dev_begin, m.dev, sizeof(m.dev));
		if (m.profile)
			zero_blocks();
		break;
	case OP_END:
		if (!m.open || arg != m.id) {
			m.bad_markers++;
			break;
		}
		if (m.paused)
			sum_paused();
		print_window();
		if (m.profile)
			print_profile();
		m.open = false;
		m.windows++;
		break;
	case OP_PAUSE:
		if (m.open && !m.paused) {
			m.paused = true;
			m.pause_at = m.c;
			if (m.profile)
				blocks_paused(true);
		}
		break;
	case OP_RESUME:
		if (m.open && m.paused) {
			m.paused = false;
			sum_paused();
			if (m.profile)
				blocks_paused(false);
		}
		break;
	case OP_UNCACHED:
		m.probe = true;
		m.probe_va = arg;
		break;
	case OP_UNCACHED_CLEAR:
		memset(m.nc_pages, 0, sizeof(m.nc_pages));
		m.nc_count = 0;
		break;
	default:
		m.bad_markers++;
	}
}

/* One marker hint executed: an operation or a nibble of its argument. */
static void on_marker(unsigned int vcpu, void *udata)
{
	int imm = (int)(uintptr_t)udata;

	(void)vcpu;
	if (imm < OP_NIBBLE) {
		if (m.op)
			m.bad_markers++;	/* the last one lost nibbles */
		m.op = imm;
		m.nibbles = 0;
		m.arg = 0;
		return;
	}
	if (!m.op) {
		m.bad_markers++;
		return;
	}
	m.arg = m.arg << 4 | (uint32_t)(imm - OP_NIBBLE);
	if (++m.nibbles == 8) {
		int op = m.op;

		m.op = 0;
		run_marker(op, m.arg);
	}
}

/* The immediate of a marker hint, or -1. */
static int marker_imm(struct qemu_plugin_insn *insn)
{
	const uint8_t *p = qemu_plugin_insn_data(insn);
	uint32_t w;
	int imm;

	if (qemu_plugin_insn_size(insn) != 4)
		return -1;
	w = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
	if (m.aarch64) {
		if ((w & 0xFFFFF01Fu) != 0xD503201Fu)	/* HINT #imm7 */
			return -1;
		imm = (int)((w >> 5) & 0x7F);
	} else if ((w & 0x0FFFFF00u) == 0x0320F000u) {	/* A32 HINT */
		imm = (int)(w & 0xFF);
	} else if ((w & 0xFF00FFFFu) == 0x8000F3AFu) {	/* T32 HINT.W */
		imm = (int)((w >> 16) & 0xFF);
	} else {
		return -1;
	}
	return imm >= OP_BEGIN && imm <= OP_NIBBLE + 15 &&
	       (imm <= OP_PROFILE || imm >= OP_NIBBLE) ? imm : -1;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;
	struct block *b = calloc(1, sizeof(*b));
	uint64_t prev_line = UINT64_MAX;

	(void)id;
	if (!b)
		abort();
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->insns = (uint32_t)n;
	b->next = m.blocks;
	m.blocks = b;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->execs, 1);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t va = qemu_plugin_insn_vaddr(insn);
		uint64_t ha = (uint64_t)(uintptr_t)qemu_plugin_insn_haddr(insn);
		uint64_t line = ha >> m.l1i.line_shift;
		int imm;

		qemu_plugin_register_vcpu_insn_exec_inline(
			insn, QEMU_PLUGIN_INLINE_ADD_U64,
			va >= m.kernel_base ? &m.c.insn_kernel : &m.c.insn_user,
			1);
		/* Within one line only the first fetch can miss. */
		if (line != prev_line) {
			void **fetch = malloc(sizeof(void *) + sizeof(uint64_t));

			if (!fetch)
				abort();
			fetch[0] = b;
			*(uint64_t *)(fetch + 1) = line << m.l1i.line_shift;
			qemu_plugin_register_vcpu_insn_exec_cb(
				insn, on_fetch, QEMU_PLUGIN_CB_NO_REGS, fetch);
			prev_line = line;
		}
		qemu_plugin_register_vcpu_mem_cb(insn, on_mem,
						 QEMU_PLUGIN_CB_NO_REGS,
						 QEMU_PLUGIN_MEM_RW, b);
		imm = marker_imm(insn);
		if (imm >= 0)
			qemu_plugin_register_vcpu_insn_exec_cb(
				insn, on_marker, QEMU_PLUGIN_CB_NO_REGS,
				(void *)(uintptr_t)imm);
	}
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	char line[400];

	(void)id;
	(void)p;
	/* Totals of the whole run, to hold against cache.c's. */
	snprintf(line, sizeof(line), "memmodel exit windows=%" PRIu64
		 " bad_markers=%" PRIu64 " open=%d insns=%" PRIu64 " l1d=%"
		 PRIu64 " l1d_miss=%" PRIu64 " l1i_miss=%" PRIu64 " l2=%" PRIu64
		 " l2_miss=%" PRIu64 "\n", m.windows, m.bad_markers, m.open,
		 m.c.insn_user + m.c.insn_kernel, m.c.l1d, m.c.l1d_miss,
		 m.c.l1i_miss, m.c.l2, m.c.l2_miss);
	qemu_plugin_outs(line);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info, int argc,
					   char **argv)
{
	const char *l1i = "32768:4:32", *l1d = "32768:4:32";
	const char *l2 = "524288:8:32";
	int i;

	if (!info->system_emulation) {
		fprintf(stderr, "memmodel: system emulation only\n");
		return -1;
	}
	m.aarch64 = !strcmp(info->target_name, "aarch64");
	m.kernel_base = m.aarch64 ? 0xFFFF000000000000ull : 0xBF000000ull;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "l1i=", 4))
			l1i = a + 4;
		else if (!strncmp(a, "l1d=", 4))
			l1d = a + 4;
		else if (!strncmp(a, "l2=", 3))
			l2 = a + 3;
		else if (!strncmp(a, "kernel=", 7))
			m.kernel_base = strtoull(a + 7, NULL, 0);
		else if (!strcmp(a, "check=on"))
			m.like_cache_c = true;
		else {
			fprintf(stderr, "memmodel: unknown argument %s\n", a);
			return -1;
		}
	}
	if (cache_init(&m.l1i, l1i) || cache_init(&m.l1d, l1d) ||
	    cache_init(&m.l2, l2)) {
		fprintf(stderr, "memmodel: a cache is SIZE:WAYS:LINE, powers of "
			"two (l1i=%s l1d=%s l2=%s)\n", l1i, l1d, l2);
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
