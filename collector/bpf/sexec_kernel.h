/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The few kernel types the BPF programs read, marked preserve_access_index so
 * libbpf relocates every field against the running kernel's BTF (CO-RE). */
#ifndef SEXEC_KERNEL_H
#define SEXEC_KERNEL_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gfp_t;
typedef unsigned long size_t;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_RINGBUF = 27,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
};

enum {
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
};

enum {
	BPF_RB_AVAIL_DATA = 0,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

typedef struct {
	int counter;
} atomic_t;

struct sched_entity {
	u64 sum_exec_runtime;
};

struct sched_info {
	unsigned long long run_delay; /* ns waiting on a run queue (CONFIG_SCHED_INFO) */
};

#define TASK_DEAD 0x80

struct task_io_accounting {
	u64 rchar;
	u64 wchar;
	u64 syscr;
	u64 syscw;
	u64 read_bytes;
	u64 write_bytes;
	u64 cancelled_write_bytes;
};

struct qstr {
	union {
		struct {
			u32 hash;
			u32 len;
		};
		u64 hash_len;
	};
	const unsigned char *name;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
};

struct vfsmount {
	struct dentry *mnt_root;
};

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct fs_struct {
	struct path pwd;
};

typedef struct {
	unsigned int val;
} kuid_t;

struct cred {
	kuid_t uid;
};

struct mm_struct {
	unsigned long hiwater_rss;
	unsigned long arg_start;
	unsigned long arg_end;
};

struct signal_struct {
	atomic_t live;
	unsigned int flags;
	int group_exit_code;
	unsigned long maxrss;
};

struct task_struct {
	unsigned int __state;
	unsigned int flags;
	/* Bitfields: read with BPF_CORE_READ_BITFIELD_PROBED. in_memstall
	 * replaced the PF_MEMSTALL flag in 5.19. */
	unsigned int in_iowait : 1;
	unsigned int in_memstall : 1;
	struct sched_entity se;
	struct sched_info sched_info;
	struct mm_struct *mm;
	int exit_code;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	u64 utime;
	u64 stime;
	unsigned long nvcsw;
	unsigned long nivcsw;
	u64 start_boottime;
	unsigned long min_flt;
	unsigned long maj_flt;
	char comm[16];
	struct signal_struct *signal;
	struct task_io_accounting ioac;
	struct fs_struct *fs;
	const struct cred *cred;
};

/* Kernels before 5.5 called start_boottime real_start_time; before 5.14
 * __state was a long called state. */
struct task_struct___old {
	u64 real_start_time;
	long state;
};

struct sock_common {
	unsigned short skc_family;
};

struct sock {
	struct sock_common __sk_common;
};

struct socket {
	struct sock *sk;
};

struct msghdr;

struct linux_binprm {
	const char *filename;
};

struct kernfs_node {
	const char *name;
	u64 id;
};

struct cgroup_subsys_state {
	struct cgroup_subsys_state *parent;
};

/* 'self' is the first member, so a css parent pointer is its cgroup's. */
struct cgroup {
	struct cgroup_subsys_state self;
	int level;
	struct kernfs_node *kn;
};

#pragma clang attribute pop

#define SIGNAL_GROUP_EXIT 0x00000004
#define PF_IO_WORKER 0x00000010
#define PF_USER_WORKER 0x00004000
#define PF_MEMSTALL 0x01000000 /* before 5.19 */
#define AF_INET 2
#define AF_INET6 10
#define MSG_PEEK 2

#endif
