# SPDX-License-Identifier: GPL-2.0-or-later
# X_AC_BPF: libbpf >= 1.0, a clang that targets BPF, and bpftool to generate
# the skeletons at build time.
AC_DEFUN([X_AC_BPF], [
	PKG_CHECK_MODULES([LIBBPF], [libbpf >= 1.0], [],
		[AC_MSG_ERROR([libbpf >= 1.0 not found: install libbpf-dev])])
	AC_ARG_VAR([CLANG], [clang used to compile the BPF programs])
	AC_ARG_VAR([BPFTOOL], [bpftool used to generate BPF skeletons])
	AC_PATH_PROGS([CLANG], [clang clang-16 clang-15 clang-14], [no])
	AS_IF([test "x$CLANG" = xno],
		[AC_MSG_ERROR([clang not found: install clang (and llvm)])])
	AC_MSG_CHECKING([whether $CLANG can target BPF])
	echo 'int x;' > conftest.bpf.c
	AS_IF([$CLANG -target bpf -O2 -c conftest.bpf.c -o conftest.bpf.o >/dev/null 2>&1],
		[AC_MSG_RESULT([yes])],
		[AC_MSG_RESULT([no]); AC_MSG_ERROR([$CLANG cannot compile for BPF: install clang and llvm])])
	rm -f conftest.bpf.c conftest.bpf.o
	AC_PATH_PROGS([BPFTOOL], [bpftool], [no], [$PATH:/usr/sbin:/sbin])
	AS_IF([test "x$BPFTOOL" = xno],
		[AC_MSG_ERROR([bpftool not found: install bpftool])])
	AS_CASE([$host_cpu],
		[x86_64], [BPF_ARCH=x86],
		[aarch64], [BPF_ARCH=arm64],
		[powerpc64*], [BPF_ARCH=powerpc],
		[s390x], [BPF_ARCH=s390],
		[BPF_ARCH=$host_cpu])
	AC_SUBST([BPF_ARCH])
])
