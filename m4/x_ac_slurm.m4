# SPDX-License-Identifier: GPL-2.0-or-later
# X_AC_SLURM: find Slurm's spank.h (--with-slurm=PREFIX for sites with Slurm
# outside /usr) and choose where the SPANK plugin is installed.
AC_DEFUN([X_AC_SLURM], [
	AC_ARG_WITH([slurm],
		[AS_HELP_STRING([--with-slurm=PREFIX], [Slurm installation prefix (default /usr)])],
		[], [with_slurm=/usr])
	SLURM_CPPFLAGS="-I$with_slurm/include"
	save_CPPFLAGS="$CPPFLAGS"
	CPPFLAGS="$CPPFLAGS $SLURM_CPPFLAGS"
	AC_CHECK_HEADER([slurm/spank.h], [],
		[AC_MSG_ERROR([slurm/spank.h not found under $with_slurm/include: install libslurm-dev (Debian) or pass --with-slurm=PREFIX])])
	CPPFLAGS="$save_CPPFLAGS"
	AC_SUBST([SLURM_CPPFLAGS])
	AC_ARG_WITH([slurm-plugindir],
		[AS_HELP_STRING([--with-slurm-plugindir=DIR], [where to install sexec.so (default LIBDIR/slurm)])],
		[SLURM_PLUGINDIR="$withval"], [SLURM_PLUGINDIR='${libdir}/slurm'])
	AC_SUBST([SLURM_PLUGINDIR])
])
