# SPDX-License-Identifier: GPL-2.0-or-later
# X_AC_DEBUG / X_AC_HARDENING: --enable-debug, --enable-asan, and hardening
# flags that are on unless --disable-hardening.
AC_DEFUN([X_AC_DEBUG], [
	AC_ARG_ENABLE([debug], [AS_HELP_STRING([--enable-debug], [build with -O0 -g3])])
	AS_IF([test "x$enable_debug" = xyes], [CFLAGS="$CFLAGS -O0 -g3"])
	AC_ARG_ENABLE([asan], [AS_HELP_STRING([--enable-asan], [build with AddressSanitizer])])
	AS_IF([test "x$enable_asan" = xyes],
		[CFLAGS="$CFLAGS -fsanitize=address -fno-omit-frame-pointer"
		 LDFLAGS="$LDFLAGS -fsanitize=address"])
])
AC_DEFUN([X_AC_HARDENING], [
	AC_ARG_ENABLE([hardening], [AS_HELP_STRING([--disable-hardening], [no stack protector, FORTIFY or RELRO])])
	AS_IF([test "x$enable_hardening" != xno],
		[HARDEN_CFLAGS="-fstack-protector-strong"
		 AS_IF([test "x$enable_debug" != xyes], [HARDEN_CFLAGS="$HARDEN_CFLAGS -D_FORTIFY_SOURCE=2"])
		 HARDEN_LDFLAGS="-Wl,-z,relro,-z,now"])
	AC_SUBST([HARDEN_CFLAGS])
	AC_SUBST([HARDEN_LDFLAGS])
])
