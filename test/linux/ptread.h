/*
 * ptread.h - read the calling process's own page-table entries, from user
 * space, with a small BPF program (included by vmpte.c; README.md, "Entry
 * values").
 *
 * There is no kernel module and no clang or bpftool here, so the program is
 * raw BPF instructions.  It is a BPF_PROG_TYPE_RAW_TRACEPOINT attached to
 * "sys_enter" (fentry and kprobe programs are refused on this machine; raw
 * tracepoints load as root).  A process asks it something by calling the
 * reserved syscall number PTREAD_NR, which no kernel implements (ENOSYS), but
 * sys_enter fires for it first:
 *   syscall(PTREAD_NR, 0, 0)     value[0] = current->mm->pgd (a direct-map address)
 *   syscall(PTREAD_NR, 1, kaddr) value[0] = *(u64 *)kaddr, by bpf_probe_read_kernel()
 * value[1] is the helper's return (0 or -EFAULT).  The answer is in an array
 * map of one 16-byte element, read with BPF_MAP_LOOKUP_ELEM.  Everything else
 * (the walk) is done by the process in C: table pages are found through the
 * direct map, page_offset_base + physical address.
 *
 * Offsets of task_struct.mm and mm_struct.pgd come from /sys/kernel/btf/vmlinux
 * (parsed here; mm_struct's members sit in an anonymous struct).
 * page_offset_base is randomised (CONFIG_RANDOMIZE_MEMORY) and, without
 * CONFIG_KALLSYMS_ALL, not in /proc/kallsyms: it is found by trying each
 * 1 GiB-aligned candidate below the PGD page's address and keeping the one
 * under which the direct map's own tables translate that address back to
 * itself (VA - page_offset_base = physical address).
 */
#include <linux/bpf.h>

#define PTREAD_NR 31337
#define PTE_PFN_MASK 0x000ffffffffff000ULL

static int bpf_map_fd = -1, bpf_link_fd = -1;
static uint64_t page_offset_base;
static char bpf_why[256];			/* why entry reading is unavailable */

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof *a);
}

/* ---------------------------------------------------------------- BTF */

struct btf_hdr_ { uint16_t magic; uint8_t version, flags; uint32_t hdr_len, type_off, type_len, str_off, str_len; };

/* The BTF file and its type index live in a mapping that is unmapped once
 * the offsets are known, so the tasks the driver forks do not inherit them
 * (they would enlarge every task's own footprint). */
#define BTF_MAX (16UL << 20)
#define BTF_MAXTYPES 400000UL
static unsigned char *btf;
static uint32_t **btf_types;		/* id -> type record */
static uint32_t btf_ntypes;
static const char *btf_str;

/* Size in bytes of the data following a btf_type of this kind (include/uapi/linux/btf.h). */
static size_t btf_extra(uint32_t info)
{
	uint32_t kind = (info >> 24) & 0x1f, vlen = info & 0xffff;
	switch (kind) {
	case 1: return 4;			/* INT */
	case 3: return 12;			/* ARRAY */
	case 4: case 5: return 12 * vlen;	/* STRUCT, UNION */
	case 6: return 8 * vlen;		/* ENUM */
	case 13: return 8 * vlen;		/* FUNC_PROTO */
	case 14: return 4;			/* VAR */
	case 15: return 12 * vlen;		/* DATASEC */
	case 17: return 4;			/* DECL_TAG */
	case 19: return 12 * vlen;		/* ENUM64 */
	default: return 0;
	}
}

static int btf_load(void)
{
	FILE *f = fopen("/sys/kernel/btf/vmlinux", "rb");
	if (!f)
		return -1;
	void *m = mmap(NULL, BTF_MAX + BTF_MAXTYPES * sizeof *btf_types, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		fclose(f);
		return -1;
	}
	unsigned char *buf = m;
	btf_types = (uint32_t **)(buf + BTF_MAX);
	size_t n = fread(buf, 1, BTF_MAX, f);
	fclose(f);
	struct btf_hdr_ *h = (struct btf_hdr_ *)buf;
	if (n < sizeof *h || h->magic != 0xeB9F)
		return -1;
	btf = buf;
	unsigned char *t = buf + h->hdr_len + h->type_off, *end = t + h->type_len;
	btf_str = (const char *)buf + h->hdr_len + h->str_off;
	btf_ntypes = 1;
	while (t < end && btf_ntypes < BTF_MAXTYPES) {
		uint32_t *ty = (uint32_t *)t;
		btf_types[btf_ntypes++] = ty;
		t += 12 + btf_extra(ty[1]);
	}
	return 0;
}

/* Bit offset of member `name` in struct/union `id`, looking into anonymous members; -1 if absent. */
static long btf_member_off(uint32_t id, const char *name)
{
	uint32_t *ty = btf_types[id];
	uint32_t kind = (ty[1] >> 24) & 0x1f, vlen = ty[1] & 0xffff, kflag = ty[1] >> 31;
	if (kind != 4 && kind != 5)
		return -1;
	uint32_t *m = ty + 3;
	for (uint32_t i = 0; i < vlen; i++, m += 3) {
		long off = kflag ? (m[2] & 0xffffff) : m[2];
		if (m[0] && !strcmp(btf_str + m[0], name))
			return off;
		if (!m[0]) {
			uint32_t sub = m[1];
			/* skip modifiers/typedefs to the anonymous struct or union */
			while (sub && sub < btf_ntypes) {
				uint32_t k = (btf_types[sub][1] >> 24) & 0x1f;
				if (k >= 8 && k <= 11) sub = btf_types[sub][2]; else break;
			}
			long o = sub < btf_ntypes ? btf_member_off(sub, name) : -1;
			if (o >= 0)
				return off + o;
		}
	}
	return -1;
}

static long btf_struct_member(const char *sname, const char *mname)
{
	for (uint32_t id = 1; id < btf_ntypes; id++) {
		uint32_t *ty = btf_types[id];
		if (((ty[1] >> 24) & 0x1f) == 4 && ty[0] && !strcmp(btf_str + ty[0], sname) && (ty[1] & 0xffff)) {
			long o = btf_member_off(id, mname);
			if (o >= 0)
				return o / 8;
		}
	}
	return -1;
}

/* ------------------------------------------------------------ program */

#define I(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV64_REG(d, s)     I(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, v)     I(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, v)
#define ADD64_IMM(d, v)     I(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, v)
#define LDX_DW(d, s, o)     I(BPF_LDX | BPF_MEM | BPF_DW, d, s, o, 0)
#define STX_DW(d, s, o)     I(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0)
#define ST_W(d, o, v)       I(BPF_ST | BPF_MEM | BPF_W, d, 0, o, v)
#define JNE_IMM(d, v, o)    I(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, v)
#define JEQ_IMM(d, v, o)    I(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, v)
#define JA(o)               I(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define CALL(f)             I(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT()              I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LD_MAP_FD(d, fd)    I(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), I(0, 0, 0, 0, 0)

/* Loads and attaches the program; 0, or -1 with bpf_why set. */
static int ptread_setup(void)
{
	if (btf_load()) {
		snprintf(bpf_why, sizeof bpf_why, "cannot read /sys/kernel/btf/vmlinux");
		return -1;
	}
	long off_mm = btf_struct_member("task_struct", "mm");
	long off_pgd = btf_struct_member("mm_struct", "pgd");
	munmap(btf, BTF_MAX + BTF_MAXTYPES * sizeof *btf_types);
	btf = NULL, btf_types = NULL;
	if (off_mm < 0 || off_pgd < 0) {
		snprintf(bpf_why, sizeof bpf_why, "BTF has no task_struct.mm or mm_struct.pgd");
		return -1;
	}
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 16;
	a.max_entries = 1;
	bpf_map_fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
	if (bpf_map_fd < 0) {
		snprintf(bpf_why, sizeof bpf_why, "BPF_MAP_CREATE: %s", strerror(errno));
		return -1;
	}
	/* r6 ctx, r7 regs, r8 map value; fp-16 op (rdi), fp-24 arg (rsi), fp-32 mm */
	struct bpf_insn prog[] = {
		MOV64_REG(6, 1),
		LDX_DW(2, 6, 8),			/* ctx->args[1]: the syscall number */
		JNE_IMM(2, PTREAD_NR, 42),		/* -> out */
		LDX_DW(7, 6, 0),			/* ctx->args[0]: struct pt_regs * */
		ST_W(10, -4, 0),
		MOV64_REG(2, 10), ADD64_IMM(2, -4),
		LD_MAP_FD(1, bpf_map_fd),
		CALL(BPF_FUNC_map_lookup_elem),
		JEQ_IMM(0, 0, 34),			/* -> out */
		MOV64_REG(8, 0),
		MOV64_REG(1, 10), ADD64_IMM(1, -16), MOV64_IMM(2, 8), MOV64_REG(3, 7), ADD64_IMM(3, 112),
		CALL(BPF_FUNC_probe_read_kernel),	/* regs->di */
		MOV64_REG(1, 10), ADD64_IMM(1, -24), MOV64_IMM(2, 8), MOV64_REG(3, 7), ADD64_IMM(3, 104),
		CALL(BPF_FUNC_probe_read_kernel),	/* regs->si */
		LDX_DW(9, 10, -16),
		JNE_IMM(9, 0, 14),			/* op 1 -> read */
		CALL(BPF_FUNC_get_current_task),
		MOV64_REG(3, 0), ADD64_IMM(3, (int)off_mm),
		MOV64_REG(1, 10), ADD64_IMM(1, -32), MOV64_IMM(2, 8),
		CALL(BPF_FUNC_probe_read_kernel),	/* current->mm */
		LDX_DW(3, 10, -32), ADD64_IMM(3, (int)off_pgd),
		MOV64_REG(1, 8), MOV64_IMM(2, 8),
		CALL(BPF_FUNC_probe_read_kernel),	/* value[0] = mm->pgd */
		STX_DW(8, 0, 8),
		JA(5),					/* -> out */
		LDX_DW(3, 10, -24),			/* read: */
		MOV64_REG(1, 8), MOV64_IMM(2, 8),
		CALL(BPF_FUNC_probe_read_kernel),	/* value[0] = *(u64 *)arg */
		STX_DW(8, 0, 8),
		MOV64_IMM(0, 0),			/* out: */
		EXIT(),
	};
	static char log[4096];
	memset(&a, 0, sizeof a);
	a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	a.insns = (uint64_t)(uintptr_t)prog;
	a.insn_cnt = sizeof prog / sizeof *prog;
	a.license = (uint64_t)(uintptr_t)"GPL";
	int pfd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (pfd < 0) {
		/* again with the verifier's log, for the message */
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = sizeof log;
		a.log_level = 1;
		if (sys_bpf(BPF_PROG_LOAD, &a) >= 0)
			snprintf(log, sizeof log, "loads with a log, not without");
		char *last = strrchr(log, '\n');
		while (last && last > log && last[-1] != '\n' && last[-1]) last--;
		snprintf(bpf_why, sizeof bpf_why, "BPF_PROG_LOAD: %s%s%.120s", strerror(errno), log[0] ? ": " : "", log[0] ? log : "");
		for (char *p = bpf_why; *p; p++) if (*p == '\n') *p = ' ';
		return -1;
	}
	memset(&a, 0, sizeof a);
	a.raw_tracepoint.name = (uint64_t)(uintptr_t)"sys_enter";
	a.raw_tracepoint.prog_fd = pfd;
	bpf_link_fd = (int)sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
	close(pfd);
	if (bpf_link_fd < 0) {
		snprintf(bpf_why, sizeof bpf_why, "BPF_RAW_TRACEPOINT_OPEN sys_enter: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* One question to the program, in the calling process.  0 and *out, or -1. */
static int ptread_ask(long op, uint64_t arg, uint64_t *out)
{
	uint32_t key = 0;
	uint64_t val[2] = { 0, 1 };
	syscall(PTREAD_NR, op, arg);
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.map_fd = bpf_map_fd;
	a.key = (uint64_t)(uintptr_t)&key;
	a.value = (uint64_t)(uintptr_t)val;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) || val[1] != 0)
		return -1;
	*out = val[0];
	return 0;
}

/*
 * The entries on the path to user address va, top (PGD) first; a level not
 * reached (the one above is not present, or is a leaf) is left as ~0.
 * Returns -1 if a read failed.
 */
static int ptread_walk(uint64_t pgd_va, uint64_t va, uint64_t ent[4])
{
	uint64_t table = pgd_va;
	for (int lvl = 3; lvl >= 0; lvl--)
		ent[3 - lvl] = ~0ULL;
	for (int lvl = 3; lvl >= 0; lvl--) {
		uint64_t e, idx = (va >> (12 + 9 * lvl)) & 511;
		if (ptread_ask(1, table + 8 * idx, &e))
			return -1;
		ent[3 - lvl] = e;
		if (!(e & 1) || (lvl > 0 && lvl < 3 && (e & 0x80)))
			break;
		table = page_offset_base + (e & PTE_PFN_MASK);
	}
	return 0;
}

/*
 * page_offset_base: the 1 GiB-aligned candidate b (at most 64 GiB below the
 * PGD page's address) such that walking the kernel's own tables for the PGD
 * page's address, reading each table at b + its physical address, gives the
 * physical address pgd_va - b.
 */
static int find_page_offset_base(void)
{
	uint64_t pgd_va;
	if (ptread_ask(0, 0, &pgd_va)) {
		snprintf(bpf_why, sizeof bpf_why, "the program did not answer (sys_enter raw tracepoint)");
		return -1;
	}
	for (uint64_t n = 0; n < 64; n++) {
		uint64_t b = (pgd_va & ~((1ULL << 30) - 1)) - (n << 30), table = pgd_va, e = 0;
		int ok = 1;
		for (int lvl = 3; lvl >= 0; lvl--) {
			uint64_t idx = (pgd_va >> (12 + 9 * lvl)) & 511;
			if (ptread_ask(1, table + 8 * idx, &e) || !(e & 1)) { ok = 0; break; }
			uint64_t span = 1ULL << (12 + 9 * lvl);
			if (lvl == 0 || (lvl < 3 && (e & 0x80))) {
				uint64_t mask = lvl == 0 ? PTE_PFN_MASK : (PTE_PFN_MASK & ~(span - 1));
				uint64_t phys = (e & mask) + (pgd_va & (span - 1));
				if (pgd_va - b != phys) ok = 0;
				break;
			}
			table = b + (e & PTE_PFN_MASK);
		}
		if (ok) {
			page_offset_base = b;
			return 0;
		}
	}
	snprintf(bpf_why, sizeof bpf_why, "page_offset_base not found from the PGD page at 0x%llx", (unsigned long long)pgd_va);
	return -1;
}
