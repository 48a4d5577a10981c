/*
 * vmpte.c - run a page-table scenario on the real kernel and print, after
 * every step, each alive task's VmPTE (mm_pgtables_bytes) minus that task's
 * own footprint.  Protocol and method: see README.md next to this file.
 *
 * Build: gcc -O2 -static -o vmpte vmpte.c   (static: no ld.so, no libc
 * mappings, no malloc in tasks, so a task's own footprint is small and fixed)
 *
 * One driver process reads the whole scenario from stdin, forks one process
 * per `spawn`, and talks to every task over a pair of pipes (created up front,
 * before any task exists, so a task forked by a task finds its pipes already
 * open).  Tasks execute fixed-size binary commands and answer fixed-size
 * replies; the driver reads /proc/PID/status between steps, while every task
 * is blocked in read() and so changes nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAXT 64
#define PAGE 4096UL
#define MAXP 64		/* probe addresses (a "probe" line) */

#include "ptread.h"

static uint64_t probes[MAXP];
static int nprobes, entries_ok;
static uint64_t probe_out[MAXP][4];	/* a task's answer to OP_PROBE (bss: footprint() writes it) */

enum op { OP_NOP, OP_FORK, OP_EXIT, OP_MMAP, OP_MUNMAP, OP_MPROTECT,
	  OP_MADVISE, OP_READ, OP_WRITE, OP_TOUCH_R, OP_TOUCH_W, OP_PROBE };
enum kind { K_OK, K_ERRNO, K_SIGNAL, K_READY };

struct cmd { int32_t op, arg; uint64_t addr, len; };	/* arg: prot/flags/child */
struct reply { int32_t kind, val; uint64_t value; int64_t minflt; };	/* val: errno or signo */

/* ---------------------------------------------------------------- task side */

static int g_cmdfd = -1, g_repfd = -1;		/* this task's own pipe ends */
static int cmd_r[MAXT], cmd_w[MAXT], rep_r[MAXT], rep_w[MAXT];
static uintptr_t vdso_lo, vdso_hi;		/* [vdso], found by the driver */
static volatile unsigned char sink;
static unsigned char bss_pages[4 * PAGE];	/* .bss, written every loop */
/* The binary's own mappings (file-backed, [heap]), found by the driver: each
 * page is read, and each page of a writable one rewritten with its own value,
 * in every loop (see footprint()). */
#define MAXR 16
static struct { uintptr_t lo, hi; int writable; } own[MAXR];
static int nown;
static struct rusage ru0, ru1;			/* the op's bracket (bss) */

/*
 * Make the task's own (non-scenario) page tables the same after every loop and
 * in every task: write 64 KiB of stack below us, the .bss, and read every vdso
 * page.  Why the vdso: fork copies page tables only for VMAs with an anon_vma
 * or VM_PFNMAP/VM_MIXEDMAP (vma_needs_copy() in mm/memory.c); the vdso text has
 * neither, so a forked child would lack its PTE page until it touches it.
 * Stack, data and heap have an anon_vma, so the child gets them at fork.
 */
static __attribute__((noinline)) void footprint(void)
{
	volatile unsigned char stack[64 * 1024];
	for (size_t i = 0; i < sizeof stack; i += PAGE)
		stack[i] = (unsigned char)i;
	for (size_t i = 0; i < sizeof bss_pages; i += PAGE)
		bss_pages[i]++;
	for (uintptr_t p = vdso_lo; p < vdso_hi; p += PAGE)
		sink = *(volatile unsigned char *)p;
	/*
	 * ru_minflt is compared over each scenario op alone, so no fault of the
	 * task's own may fall inside that bracket: every page of the binary
	 * (text too: a forked child has no PTEs for it, as vma_needs_copy()
	 * skips VMAs without an anon_vma), and of the data, bss and heap (COW
	 * after a fork: errno lives in the TLS block on the heap) is mapped
	 * here, before the reply.  Writable pages are rewritten with their own
	 * value.
	 */
	for (int k = 0; k < nown; k++)
		for (uintptr_t p = own[k].lo; p < own[k].hi; p += PAGE) {
			volatile unsigned char *b = (volatile unsigned char *)p;
			unsigned char v = *b;
			if (own[k].writable)
				*b = v;
		}
	memset(probe_out, 0, sizeof probe_out);
	memset(&ru0, 0, sizeof ru0);
	memset(&ru1, 0, sizeof ru1);
	errno = 0;
}

static int64_t g_minflt;	/* the last op's ru_minflt delta */

static void put_reply(int32_t kind, int32_t val, uint64_t value)
{
	struct reply r = { kind, val, value, g_minflt };
	if (write(g_repfd, &r, sizeof r) != sizeof r)
		_exit(3);
}

/* A fault the scenario provokes: tell the driver, then die.  _exit() tears the
 * mm down exactly as the default SIGSEGV action would (minus the core dump). */
static void on_fatal(int sig)
{
	put_reply(K_SIGNAL, sig, 0);
	_exit(128 + sig);
}

/* One access per 4 KiB page intersecting [addr, addr+len), in order, at the
 * first byte of the range inside each page. */
static void access_range(uint64_t addr, uint64_t len, int write)
{
	uint64_t end = addr + len, a = addr;
	while (a < end) {
		volatile unsigned char *p = (volatile unsigned char *)(uintptr_t)a;
		if (write)
			*p = 0x5a;
		else
			sink = *p;
		a = (a & ~(PAGE - 1)) + PAGE;
	}
}

static __attribute__((noreturn)) void task_loop(void)
{
	for (;;) {
		struct cmd c;
		ssize_t n = read(g_cmdfd, &c, sizeof c);
		if (n != sizeof c)
			_exit(0);	/* driver gone: every cmd write end is closed */
		long rc = 0;
		uint64_t value = 0;
		void *a = (void *)(uintptr_t)c.addr;
		if (c.op == OP_PROBE) {
			/* The entries on the path to each probe address, read from this
			 * process's own tables (ptread.h): 4 x u64 per address, ~0 for a
			 * level not reached.  Outside any op's ru_minflt bracket. */
			uint64_t (*out)[4] = probe_out;
			uint64_t pgd = 0;
			int bad = ptread_ask(0, 0, &pgd);
			for (int k = 0; k < nprobes; k++)
				if (bad || ptread_walk(pgd, probes[k], out[k]))
					memset(out[k], 0xfe, sizeof out[k]);
			size_t want = sizeof probe_out[0] * (size_t)nprobes;
			if (write(g_repfd, out, want) != (ssize_t)want)
				_exit(3);
			continue;
		}
		/* ru_minflt over the op alone (mm_account_fault(): current->min_flt). */
		getrusage(RUSAGE_SELF, &ru0);
		switch (c.op) {
		case OP_NOP: break;
		case OP_EXIT: _exit(0);
		case OP_FORK: {
			pid_t pid = fork();
			if (pid < 0) { rc = -1; break; }
			if (pid == 0) {
				g_cmdfd = cmd_r[c.arg];
				g_repfd = rep_w[c.arg];
				g_minflt = 0;
				footprint();
				put_reply(K_READY, 0, (uint64_t)getpid());
				task_loop();
			}
			value = (uint64_t)pid;
			break;
		}
		case OP_MMAP: {
			/* arg: prot | 0x100 shared | 0x200 no MAP_FIXED (ADDR is a hint, 0 = none) */
			int flags = MAP_ANONYMOUS | ((c.arg & 0x200) ? 0 : MAP_FIXED) |
				    ((c.arg & 0x100) ? MAP_SHARED : MAP_PRIVATE);
			void *p = mmap(a, c.len, c.arg & 0xff, flags, -1, 0);
			if (p == MAP_FAILED) rc = -1; else value = (uint64_t)(uintptr_t)p;
			break;
		}
		case OP_MUNMAP: rc = munmap(a, c.len); break;
		case OP_MPROTECT: rc = mprotect(a, c.len, c.arg); break;
		case OP_MADVISE: rc = madvise(a, c.len, MADV_DONTNEED); break;
		case OP_READ: case OP_TOUCH_R: access_range(c.addr, c.len, 0); break;
		case OP_WRITE: case OP_TOUCH_W: access_range(c.addr, c.len, 1); break;
		}
		int err = errno;
		getrusage(RUSAGE_SELF, &ru1);
		g_minflt = ru1.ru_minflt - ru0.ru_minflt;
		footprint();
		if (rc < 0)
			put_reply(K_ERRNO, err, 0);
		else
			put_reply(K_OK, 0, value);
	}
}

/* -------------------------------------------------------------- driver side */

struct task {
	char name[32];
	int used, alive;
	pid_t pid;
	int pidfd;
	long base;	/* VmPTE bytes of the task's own footprint */
	long rbase[2];	/* RssAnon, RssShmem bytes of the task's own footprint */
	long vmrss;	/* VmRSS bytes of the task's own footprint */
	long minflt;	/* ru_minflt of the scenario's ops so far (fork's excluded) */
};
static struct task T[MAXT];
static int ntask;

static int task_index(const char *name, int create)
{
	for (int i = 0; i < ntask; i++)
		if (!strcmp(T[i].name, name))
			return i;
	if (!create || ntask == MAXT)
		return -1;
	snprintf(T[ntask].name, sizeof T[ntask].name, "%s", name);
	return ntask++;
}

static long status_bytes(pid_t pid, const char *field);

static long vmpte_bytes(pid_t pid)
{
	return status_bytes(pid, "\nVmPTE:");
}

/* A "kB" field of /proc/PID/status, in bytes (-1 if absent). */
static long status_bytes(pid_t pid, const char *field)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strstr(buf, field);
	return p ? strtol(p + strlen(field), NULL, 10) * 1024 : -1;
}

static const char *errname(int e)
{
	static char buf[16];
	switch (e) {
	case EINVAL: return "EINVAL"; case ENOMEM: return "ENOMEM";
	case EEXIST: return "EEXIST"; case EACCES: return "EACCES";
	case EPERM: return "EPERM"; case EFAULT: return "EFAULT";
	case EAGAIN: return "EAGAIN"; case EBADF: return "EBADF";
	}
	snprintf(buf, sizeof buf, "E%d", e);
	return buf;
}

static void die(const char *msg, const char *line)
{
	fprintf(stdout, "fatal %s: %s\n", msg, line);
	fflush(stdout);
	for (int i = 0; i < ntask; i++)
		if (T[i].alive)
			kill(T[i].pid, SIGKILL);
	exit(2);
}

/* Wait for task i's reply; if the process dies without one, say so. */
static int get_reply(int i, struct reply *r)
{
	struct pollfd pf[2] = { { rep_r[i], POLLIN, 0 }, { T[i].pidfd, POLLIN, 0 } };
	for (;;) {
		/* No timeout: the caller (kernel.ts) kills a stuck driver, and
		 * first touches of memory can be slow on a VM. */
		if (poll(pf, 2, -1) <= 0)
			return -1;
		if (pf[0].revents & POLLIN)
			return read(rep_r[i], r, sizeof *r) == sizeof *r ? 0 : -1;
		if (pf[1].revents & POLLIN) {
			/* exited: a reply may still have raced in */
			if (read(rep_r[i], r, sizeof *r) == sizeof *r)
				return 0;
			r->kind = K_SIGNAL, r->val = 0;
			return 0;
		}
	}
}

static void wait_gone(int i)
{
	struct pollfd pf = { T[i].pidfd, POLLIN, 0 };
	poll(&pf, 1, -1);
	close(T[i].pidfd);
	T[i].alive = 0;
}

static void send_cmd(int i, int op, int arg, uint64_t addr, uint64_t len)
{
	struct cmd c = { op, arg, addr, len };
	if (write(cmd_w[i], &c, sizeof c) != sizeof c)
		die("write to task", T[i].name);
}

static int open_pidfd(int i)
{
	T[i].pidfd = (int)syscall(SYS_pidfd_open, T[i].pid, 0);
	return T[i].pidfd;
}

/* ent NAME ADDR PGD PUD PMD PTE: the entries on the path, hex, "-" for a level not reached. */
static void print_entries(int i)
{
	static uint64_t in[MAXP][4];
	size_t want = sizeof in[0] * (size_t)nprobes, got = 0;
	send_cmd(i, OP_PROBE, 0, 0, 0);
	while (got < want) {
		ssize_t n = read(rep_r[i], (char *)in + got, want - got);
		if (n <= 0)
			die("probe reply", T[i].name);
		got += (size_t)n;
	}
	for (int k = 0; k < nprobes; k++) {
		printf("ent %s 0x%llx", T[i].name, (unsigned long long)probes[k]);
		for (int l = 0; l < 4; l++)
			if (in[k][l] == ~0ULL)
				printf(" -");
			else
				printf(" 0x%llx", (unsigned long long)in[k][l]);
		printf("\n");
	}
}

/* Run a no-op loop iteration in task i and return its VmPTE afterwards. */
static long settle(int i)
{
	struct reply r;
	send_cmd(i, OP_NOP, 0, 0, 0);
	if (get_reply(i, &r) || r.kind != K_OK)
		die("nop failed", T[i].name);
	return vmpte_bytes(T[i].pid);
}

static int parse_prot(const char *s)
{
	if (!strcmp(s, "none"))
		return PROT_NONE;
	int p = 0;
	for (; *s; s++)
		p |= *s == 'r' ? PROT_READ : *s == 'w' ? PROT_WRITE :
		     *s == 'x' ? PROT_EXEC : 0;
	return p;
}

static void find_vdso(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	while (f && fgets(line, sizeof line, f)) {
		uintptr_t lo, hi;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
			continue;
		if (strstr(line, "[vdso]"))
			vdso_lo = lo, vdso_hi = hi;
		/* The binary's own mappings (a path) and the heap; not the
		 * stack (footprint() writes 64 KiB of it), vvar or vdso. */
		else if ((strchr(line, '/') || strstr(line, "[heap]")) && perms[0] == 'r' && nown < MAXR) {
			own[nown].lo = lo, own[nown].hi = hi;
			own[nown].writable = perms[1] == 'w';
			nown++;
		}
	}
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	/*
	 * Placement is compared too, so run without address-space randomisation:
	 * re-exec once under personality(ADDR_NO_RANDOMIZE), as setarch -R does.
	 */
	(void)argc;
	if (!(personality(0xffffffff) & ADDR_NO_RANDOMIZE)) {
		personality(ADDR_NO_RANDOMIZE);
		execv("/proc/self/exe", argv);
		die("execv", "/proc/self/exe");
	}
	static char text[1 << 20];
	size_t len = fread(text, 1, sizeof text - 1, stdin);
	text[len] = 0;

	/* First pass: every task name, so that all pipes exist before any fork. */
	for (char *l = text; *l; ) {
		char a[32], b[32], c[32];
		char *nl = strchr(l, '\n');
		int n = sscanf(l, "%31s %31s %31s", a, b, c);
		if (n >= 2 && !strcmp(a, "probe")) {
			char *q = l + 5;
			while (nprobes < MAXP) {
				char *e;
				unsigned long long v = strtoull(q, &e, 0);
				if (e == q)
					break;
				probes[nprobes++] = v & ~(PAGE - 1);
				q = e;
			}
		} else if (n >= 2 && !strcmp(a, "spawn"))
			task_index(b, 1);
		else if (n == 3 && !strcmp(b, "fork"))
			task_index(c, 1);
		l = nl ? nl + 1 : l + strlen(l);
	}
	for (int i = 0; i < ntask; i++) {
		int p[2], q[2];
		if (pipe2(p, O_CLOEXEC) || pipe2(q, O_CLOEXEC))
			die("pipe", "");
		cmd_r[i] = p[0], cmd_w[i] = p[1], rep_r[i] = q[0], rep_w[i] = q[1];
	}
	find_vdso();
	signal(SIGCHLD, SIG_IGN);	/* inherited: every task auto-reaps */
	if (nprobes) {
		entries_ok = !ptread_setup() && !find_page_offset_base();
		if (entries_ok)
			printf("# entries ok page_offset_base 0x%llx\n", (unsigned long long)page_offset_base);
		else
			printf("# entries unavailable: %s\n", bpf_why);
	}

	int step = 0;
	for (char *l = text; *l; ) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = 0;
		char *line = l;
		l = nl ? nl + 1 : l + strlen(l);
		char w[5][64];
		int n = sscanf(line, "%63s %63s %63s %63s %63s", w[0], w[1], w[2], w[3], w[4]);
		if (n <= 0 || w[0][0] == '#' || !strcmp(w[0], "probe"))
			continue;
		step++;
		struct reply r = { K_OK, 0, 0 };
		int skipped = 0;

		if (!strcmp(w[0], "spawn")) {
			int i = task_index(w[1], 0);
			if (T[i].used)
				die("task spawned twice", line);
			T[i].used = 1;
			fflush(stdout);
			pid_t pid = fork();
			if (pid < 0)
				die("fork", line);
			if (pid == 0) {
				/* Hold only read ends of command pipes and write ends
				 * of reply pipes: when the driver dies, every task sees
				 * EOF and exits. */
				for (int k = 0; k < ntask; k++)
					close(cmd_w[k]), close(rep_r[k]);
				struct sigaction sa = { 0 };
				sa.sa_handler = on_fatal;
				sigaction(SIGSEGV, &sa, NULL);
				sigaction(SIGBUS, &sa, NULL);
				g_cmdfd = cmd_r[i], g_repfd = rep_w[i];
				footprint();
				put_reply(K_READY, 0, 0);
				task_loop();
			}
			T[i].pid = pid, T[i].alive = 1;
			if (open_pidfd(i) < 0 || get_reply(i, &r) || r.kind != K_READY)
				die("spawn failed", line);
			/* Baseline: after one full command loop with no scenario
			 * mapping; a second loop must not change it. */
			long b1 = settle(i), b2 = settle(i);
			T[i].base = b2;
			T[i].rbase[0] = status_bytes(pid, "\nRssAnon:");
			T[i].rbase[1] = status_bytes(pid, "\nRssShmem:");
			T[i].vmrss = status_bytes(pid, "\nVmRSS:");
			T[i].minflt = 0;
			printf("# baseline %s pid %d %ld %ld\n", T[i].name, (int)pid, b1, b2);
			if (b1 != b2)
				printf("# warning: unstable baseline for %s\n", T[i].name);
			r.kind = K_OK, r.value = 0;
		} else {
			int i = task_index(w[0], 0);
			if (i < 0 || !T[i].used)
				die("unknown task", line);
			if (!T[i].alive) {
				skipped = 1;
				if (!strcmp(w[1], "fork")) {
					int c = task_index(w[2], 0);
					T[c].used = 1;	/* never born: its steps are skipped */
				}
			} else if (!strcmp(w[1], "fork") && n == 3) {
				int c = task_index(w[2], 0);
				if (T[c].used)
					die("task created twice", line);
				T[c].used = 1;
				send_cmd(i, OP_FORK, c, 0, 0);
				if (get_reply(i, &r))
					die("fork reply", line);
				if (r.kind == K_OK) {
					struct reply rc;
					T[c].pid = (pid_t)r.value, T[c].alive = 1;
					if (open_pidfd(c) < 0 || get_reply(c, &rc) || rc.kind != K_READY)
						die("child not ready", line);
					/* A forked child's own footprint is its parent's:
					 * same binary, same layout, same footprint(). */
					T[c].base = T[i].base;
					T[c].rbase[0] = T[i].rbase[0];
					T[c].rbase[1] = T[i].rbase[1];
					T[c].vmrss = T[i].vmrss;
					T[c].minflt = 0;	/* copy_mm(): tsk->min_flt = 0 */
					/* The parent's own COW faults right after fork() (its
					 * stack) are not the scenario's: not counted. */
					printf("# fork faults %s %lld\n", T[i].name, (long long)r.minflt);
					settle(c);
				}
			} else if (!strcmp(w[1], "exit") && n == 2) {
				send_cmd(i, OP_EXIT, 0, 0, 0);
				wait_gone(i);
			} else if (!strcmp(w[1], "nop") && n == 2) {
				send_cmd(i, OP_NOP, 0, 0, 0);
				if (get_reply(i, &r))
					die("no reply", line);
				T[i].minflt += r.minflt;
			} else if (n >= 4) {
				uint64_t addr = strtoull(w[2], NULL, 0), len = strtoull(w[3], NULL, 0);
				int op = -1, arg = 0;
				char share[16] = "";
				char hint[16] = "";
				if (!strcmp(w[1], "mmap") && n == 5 &&
				    sscanf(line, "%*s %*s %*s %*s %*s %15s %15s", share, hint) >= 1 &&
				    (!strcmp(share, "shared") || !strcmp(share, "private")))
					op = OP_MMAP, arg = parse_prot(w[4]) | (share[0] == 's' ? 0x100 : 0) |
						(!strcmp(hint, "hint") ? 0x200 : 0);
				if (!strcmp(w[1], "munmap") && n == 4) op = OP_MUNMAP;
				if (!strcmp(w[1], "mprotect") && n == 5) op = OP_MPROTECT, arg = parse_prot(w[4]);
				if (!strcmp(w[1], "madvise") && n == 5 && !strcmp(w[4], "dontneed")) op = OP_MADVISE;
				if (!strcmp(w[1], "read") && n == 4) op = OP_READ;
				if (!strcmp(w[1], "write") && n == 4) op = OP_WRITE;
				if (!strcmp(w[1], "touch") && n == 5)
					op = !strcmp(w[4], "write") ? OP_TOUCH_W : OP_TOUCH_R;
				if (op < 0)
					die("bad step", line);
				send_cmd(i, op, arg, addr, len);
				if (get_reply(i, &r))
					die("no reply", line);
				if (r.kind == K_SIGNAL)
					wait_gone(i);
				else
					T[i].minflt += r.minflt;
			} else {
				die("bad step", line);
			}
		}

		if (skipped)
			printf("step %d skipped\n", step);
		else if (r.kind == K_OK)
			printf("step %d ok 0x%llx\n", step, (unsigned long long)r.value);
		else if (r.kind == K_ERRNO)
			printf("step %d errno %s\n", step, errname(r.val));
		else
			printf("step %d signal %s\n", step, r.val == SIGSEGV ? "SIGSEGV" :
			       r.val == SIGBUS ? "SIGBUS" : "UNKNOWN");
		for (int k = 0; k < ntask; k++)
			if (T[k].alive) {
				long raw = vmpte_bytes(T[k].pid);
				printf("pte %s %ld %ld %ld\n", T[k].name, raw - T[k].base, raw, T[k].base);
				/* RSS beyond the footprint: rss NAME ANON_DELTA SHMEM_DELTA (bytes) */
				printf("rss %s %ld %ld\n", T[k].name,
				       status_bytes(T[k].pid, "\nRssAnon:") - T[k].rbase[0],
				       status_bytes(T[k].pid, "\nRssShmem:") - T[k].rbase[1]);
				/* VmRSS beyond the footprint, and ru_minflt of the ops */
				printf("mem %s %ld %ld\n", T[k].name,
				       status_bytes(T[k].pid, "\nVmRSS:") - T[k].vmrss, T[k].minflt);
				if (entries_ok)
					print_entries(k);
			}
	}
	printf("end\n");
	fflush(stdout);
	for (int k = 0; k < ntask; k++)
		if (T[k].alive)
			kill(T[k].pid, SIGKILL);
	return 0;
}
