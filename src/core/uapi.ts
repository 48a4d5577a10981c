/**
 * User-space ABI values, as Linux defines them
 * (include/uapi/asm-generic/mman-common.h, mman.h, fcntl.h), so that flags are
 * tested the way the kernel tests them: O_RDONLY is 0, and `oflag & O_RDONLY`
 * is never true (which the mshare v1 patch trips over).
 */
export const PROT_NONE = 0;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;

export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_POPULATE = 0x8000;
export const MAP_HUGETLB = 0x40000;
export const MAP_FIXED_NOREPLACE = 0x100000;

export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
